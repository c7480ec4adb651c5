import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NimbusError } from '../../core/errors.ts';
import { dueTicks, nextFireTimes, nextWakeAt, parseSchedule, validateTimezone, type Schedule } from './schedule.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number[]) => ms.map((t) => new Date(t).toISOString());
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

function rejects(fn: () => unknown, field: string, detail: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NimbusError, String(e));
    assert.equal(e.code, 'NIMBUS_ERR_VALIDATION');
    assert.equal(e.extra.field, field);
    assert.match(e.message, detail);
    return true;
  });
}

test('5-field cron defaults to UTC and fires at second 0', () => {
  const s = parseSchedule('*/5 * * * *');
  assert.deepEqual(s, { kind: 'cron', expression: '*/5 * * * *', timezone: 'UTC', hasSeconds: false });
  assert.deepEqual(iso(nextFireTimes(s, at('2024-01-01T00:03:27.500Z'), 3)), [
    '2024-01-01T00:05:00.000Z',
    '2024-01-01T00:10:00.000Z',
    '2024-01-01T00:15:00.000Z',
  ]);
});

test('6-field cron has seconds first', () => {
  const s = parseSchedule('*/15 * * * * *');
  assert.equal(s.kind === 'cron' && s.hasSeconds, true);
  assert.deepEqual(iso(nextFireTimes(s, at('2024-01-01T00:00:00Z'), 3)), [
    '2024-01-01T00:00:15.000Z',
    '2024-01-01T00:00:30.000Z',
    '2024-01-01T00:00:45.000Z',
  ]);
  assert.deepEqual(iso(nextFireTimes(parseSchedule('30 0 9 * * MON-FRI'), at('2024-01-05T10:00:00Z'), 2)), [
    '2024-01-08T09:00:30.000Z',
    '2024-01-09T09:00:30.000Z',
  ]);
});

test('nextFireTimes is strictly after `after`', () => {
  const s = parseSchedule('0 * * * *');
  assert.deepEqual(iso(nextFireTimes(s, at('2024-01-01T05:00:00Z'), 1)), ['2024-01-01T06:00:00.000Z']);
  assert.deepEqual(iso(nextFireTimes(s, at('2024-01-01T04:59:59.999Z'), 1)), ['2024-01-01T05:00:00.000Z']);
});

test('nicknames are accepted', () => {
  assert.deepEqual(iso(nextFireTimes(parseSchedule('@daily'), at('2024-01-01T05:00:00Z'), 1)), ['2024-01-02T00:00:00.000Z']);
  assert.deepEqual(iso(nextFireTimes(parseSchedule('@hourly'), at('2024-01-01T05:10:00Z'), 1)), ['2024-01-01T06:00:00.000Z']);
});

test('time zones: 09:00 New York follows daylight saving time', () => {
  const s = parseSchedule('0 9 * * *', { timezone: 'America/New_York' });
  assert.deepEqual(iso(nextFireTimes(s, at('2024-03-08T00:00:00Z'), 3)), [
    '2024-03-08T14:00:00.000Z', // EST, UTC-5
    '2024-03-09T14:00:00.000Z',
    '2024-03-10T13:00:00.000Z', // EDT, UTC-4
  ]);
});

test('time zone inline with TZ= or CRON_TZ=, letter case fixed', () => {
  const a = parseSchedule('TZ=Asia/Kolkata 30 9 * * *');
  const b = parseSchedule('CRON_TZ=Asia/Kolkata 30 9 * * *');
  assert.deepEqual(a, { kind: 'cron', expression: '30 9 * * *', timezone: 'Asia/Kolkata', hasSeconds: false });
  assert.deepEqual(b, a);
  assert.deepEqual(iso(nextFireTimes(a, at('2024-01-01T00:00:00Z'), 1)), ['2024-01-01T04:00:00.000Z']);
  assert.deepEqual(parseSchedule('TZ=UTC 0 0 * * *', { timezone: 'Etc/UTC' }).kind, 'cron');
  rejects(() => parseSchedule('TZ=Asia/Kolkata 0 0 * * *', { timezone: 'Europe/Paris' }), 'timezone', /conflicts/);
});

test('a DST gap moves a fixed-time job to the first valid time; each instant is distinct', () => {
  // 02:30 does not exist in New York on 2024-03-10.
  const s = parseSchedule('30 2 * * *', { timezone: 'America/New_York' });
  assert.deepEqual(iso(nextFireTimes(s, at('2024-03-09T12:00:00Z'), 2)), ['2024-03-10T07:00:00.000Z', '2024-03-11T06:30:00.000Z']);
});

test('unknown time zones are rejected naming the field', () => {
  rejects(() => parseSchedule('0 0 * * *', { timezone: 'Mars/Olympus' }), 'timezone', /unknown time zone "Mars\/Olympus"/);
  rejects(() => parseSchedule('0 0 * * *', { timezone: 'Mars/Olympus', timezoneField: 'triggers[0].timezone' }), 'triggers[0].timezone', /unknown/);
  rejects(() => parseSchedule('TZ=Nowhere 0 0 * * *'), 'schedule', /unknown time zone/);
  rejects(() => validateTimezone(''), 'timezone', /IANA/);
  assert.equal(validateTimezone('europe/berlin'), 'Europe/Berlin');
  assert.equal(validateTimezone(' utc '), 'UTC');
  assert.equal(validateTimezone('Asia/Kolkata'), 'Asia/Kolkata', 'not renamed to the ICU alias');
});

test('invalid cron names the cron field and the problem', () => {
  rejects(() => parseSchedule('61 * * * *'), 'schedule', /minute field "61".*Invalid value for minute: 61/);
  rejects(() => parseSchedule('0 25 * * *'), 'schedule', /hour field "25"/);
  rejects(() => parseSchedule('60 * * * * *'), 'schedule', /second field "60"/);
  rejects(() => parseSchedule('0 0 * * FOO'), 'schedule', /day-of-week field "FOO"/);
  rejects(() => parseSchedule('0 0 32 * *'), 'schedule', /day-of-month field "32"/);
  rejects(() => parseSchedule('0 0 1 13 *'), 'schedule', /month field "13"/);
  rejects(() => parseSchedule('*/0 * * * *'), 'schedule', /minute field/);
  rejects(() => parseSchedule('5-1 * * * *'), 'schedule', /minute field/);
});

test('the wrong number of fields, empty input and non-cron text are rejected', () => {
  rejects(() => parseSchedule('* * * *'), 'schedule', /has 4 fields; expected 5 .* or 6/);
  rejects(() => parseSchedule('0 0 0 * * * 2030'), 'schedule', /has 7 fields/);
  rejects(() => parseSchedule('2030-01-01T00:00:00'), 'schedule', /has 1 field;/);
  rejects(() => parseSchedule(''), 'schedule', /cron expression .* or a rate/);
  rejects(() => parseSchedule(42), 'schedule', /cron expression/);
  rejects(() => parseSchedule('@reboot'), 'schedule', /unknown nickname/);
  rejects(() => parseSchedule('TZ=UTC'), 'schedule', /followed by a cron expression/);
  rejects(() => parseSchedule('* * *', { field: 'triggers[0].schedule' }), 'triggers[0].schedule', /has 3 fields/);
});

test('an expression that never fires is rejected', () => {
  rejects(() => parseSchedule('0 0 30 2 *'), 'schedule', /never fires/);
  assert.equal(parseSchedule('0 0 29 2 *').kind, 'cron', 'Feb 29 fires in leap years');
});

test('rate(N unit) in seconds, minutes, hours, days', () => {
  assert.deepEqual(parseSchedule('rate(5 minutes)'), {
    kind: 'rate',
    expression: 'rate(5 minutes)',
    value: 5,
    unit: 'minute',
    intervalMs: 5 * MIN,
  });
  assert.equal((parseSchedule('rate(1 minute)') as { intervalMs: number }).intervalMs, MIN);
  assert.equal((parseSchedule('rate(30 seconds)') as { intervalMs: number }).intervalMs, 30 * SEC);
  assert.equal((parseSchedule('rate(2 hours)') as { intervalMs: number }).intervalMs, 2 * HOUR);
  assert.equal((parseSchedule(' RATE( 1 Day ) ') as { expression: string }).expression, 'rate(1 day)');
  assert.equal((parseSchedule('rate(1 days)') as { expression: string }).expression, 'rate(1 day)');
});

test('invalid rates say what is wrong', () => {
  rejects(() => parseSchedule('rate(0 minutes)'), 'schedule', /whole number from 1/);
  rejects(() => parseSchedule('rate(1.5 hours)'), 'schedule', /whole number/);
  rejects(() => parseSchedule('rate(-1 hours)'), 'schedule', /whole number/);
  rejects(() => parseSchedule('rate(5 weeks)'), 'schedule', /unknown rate unit "weeks"/);
  rejects(() => parseSchedule('rate(5minutes)'), 'schedule', /malformed rate/);
  rejects(() => parseSchedule('rate 5 minutes'), 'schedule', /malformed rate/);
  rejects(() => parseSchedule('rate(5 minutes)', { timezone: 'Nowhere/Land' }), 'timezone', /unknown time zone/);
  assert.equal(parseSchedule('rate(5 minutes)', { timezone: 'Europe/Berlin' }).kind, 'rate', 'a valid zone is ignored');
});

test('rate ticks are anchored at creation: createdAt + k × interval, k ≥ 1', () => {
  const s = parseSchedule('rate(5 minutes)');
  const created = at('2024-01-01T00:02:13.250Z');
  assert.deepEqual(iso(nextFireTimes(s, created, 2, created)), ['2024-01-01T00:07:13.250Z', '2024-01-01T00:12:13.250Z']);
  assert.deepEqual(iso(nextFireTimes(s, at('2024-01-01T00:07:13.250Z'), 1, created)), ['2024-01-01T00:12:13.250Z']);
  assert.deepEqual(iso(nextFireTimes(s, at('2024-01-01T00:00:00Z'), 1, created)), ['2024-01-01T00:07:13.250Z']);
  assert.deepEqual(iso(nextFireTimes(s, at('2024-01-01T01:00:00Z'), 1)), ['2024-01-01T01:05:00.000Z'], 'preview: as if created now');
});

test('nextFireTimes validates count', () => {
  const s = parseSchedule('@hourly');
  rejects(() => nextFireTimes(s, 0, 0), 'count', /1 to 1000/);
  rejects(() => nextFireTimes(s, 0, 1001), 'count', /1 to 1000/);
  assert.equal(nextFireTimes(s, 0, 1000).length, 1000);
});

test('a schedule read back from storage as plain JSON works the same', () => {
  const s = parseSchedule('0 9 * * *', { timezone: 'Europe/Berlin' });
  const copy = JSON.parse(JSON.stringify(s)) as Schedule;
  assert.deepEqual(nextFireTimes(copy, at('2024-06-01T00:00:00Z'), 3), nextFireTimes(s, at('2024-06-01T00:00:00Z'), 3));
});

test('dueTicks: nothing before the first tick, the tick once it is due, never again', () => {
  const s = parseSchedule('*/5 * * * *');
  const created = at('2024-01-01T00:03:00Z');
  assert.deepEqual(dueTicks(s, null, created, at('2024-01-01T00:04:59.999Z'), 'skip'), []);
  const first = dueTicks(s, null, created, at('2024-01-01T00:05:00.020Z'), 'skip');
  assert.deepEqual(iso(first), ['2024-01-01T00:05:00.000Z']);
  assert.deepEqual(dueTicks(s, first[0], created, at('2024-01-01T00:05:30Z'), 'skip'), []);
  assert.deepEqual(dueTicks(s, first[0], created, at('2024-01-01T00:05:00Z'), 'run-once'), []);
});

test('dueTicks: a tick exactly at creation does not fire; now before creation gives nothing', () => {
  const s = parseSchedule('*/5 * * * *');
  const created = at('2024-01-01T00:05:00Z');
  assert.deepEqual(dueTicks(s, null, created, created, 'run-once'), []);
  assert.deepEqual(dueTicks(s, null, created, created + 10 * SEC, 'run-once'), []);
  assert.deepEqual(dueTicks(s, null, created, created - HOUR, 'run-once'), []);
});

test('dueTicks: a run with restarts fires every tick exactly once', () => {
  const s = parseSchedule('*/10 * * * * *');
  const created = at('2024-01-01T00:00:00.400Z');
  const fired: number[] = [];
  let lastFiredAt: number | null = null; // what the caller persists
  // The scheduler wakes at irregular moments, and "restarts" (state kept only in lastFiredAt).
  const wakes = [3.1, 10.02, 10.5, 25, 29.9, 30.0, 31, 58, 59.999, 60, 75, 119, 120.3].map((s) => created + s * SEC);
  for (const now of wakes) {
    for (const tick of dueTicks(s, lastFiredAt, created, now, 'skip')) {
      fired.push(tick);
      lastFiredAt = tick;
    }
  }
  const expected = nextFireTimes(s, created, 12, created);
  assert.deepEqual(iso(fired), iso(expected.filter((t) => t <= wakes.at(-1)!)));
  assert.equal(new Set(fired).size, fired.length, 'no duplicates');
});

test('dueTicks: ticks missed while down are skipped under "skip"', () => {
  const s = parseSchedule('0 * * * *');
  const created = at('2024-01-01T00:00:00Z');
  const last = at('2024-01-01T03:00:00Z');
  // Down from 03:30 to 08:00:30: 04:00..07:00 missed; 08:00 is 30 s late, within the grace.
  assert.deepEqual(iso(dueTicks(s, last, created, at('2024-01-01T08:00:30Z'), 'skip')), ['2024-01-01T08:00:00.000Z']);
  // Back at 07:30: nothing on time, everything missed.
  assert.deepEqual(dueTicks(s, last, created, at('2024-01-01T07:30:00Z'), 'skip'), []);
});

test('dueTicks: under "run-once" the latest missed tick fires once', () => {
  const s = parseSchedule('0 * * * *');
  const created = at('2024-01-01T00:00:00Z');
  const last = at('2024-01-01T03:00:00Z');
  const now = at('2024-01-01T07:30:00Z');
  const due = dueTicks(s, last, created, now, 'run-once');
  assert.deepEqual(iso(due), ['2024-01-01T07:00:00.000Z']);
  assert.deepEqual(dueTicks(s, due[0], created, now + 5 * SEC, 'run-once'), [], 'not again after a restart');
  // Missed ones and an on-time one: the latest missed, then the on-time tick.
  assert.deepEqual(iso(dueTicks(s, last, created, at('2024-01-01T08:00:10Z'), 'run-once')), [
    '2024-01-01T07:00:00.000Z',
    '2024-01-01T08:00:00.000Z',
  ]);
  // Nothing was missed: nothing extra.
  assert.deepEqual(iso(dueTicks(s, last, created, at('2024-01-01T04:00:01Z'), 'run-once')), ['2024-01-01T04:00:00.000Z']);
});

test('dueTicks: the grace window decides late versus missed', () => {
  const s = parseSchedule('0 * * * *');
  const created = at('2024-01-01T00:00:00Z');
  const tick = at('2024-01-01T01:00:00Z');
  assert.deepEqual(dueTicks(s, null, created, tick + 59_999, 'skip'), [tick]);
  assert.deepEqual(dueTicks(s, null, created, tick + 60_000, 'skip'), [], 'a tick exactly graceMs old is missed');
  assert.deepEqual(dueTicks(s, null, created, tick + 5 * MIN, 'skip', 10 * MIN), [tick]);
  assert.deepEqual(dueTicks(s, null, created, tick + 5 * MIN, 'run-once', 0), [tick]);
});

test('dueTicks with a long outage does not enumerate every missed tick', () => {
  const s = parseSchedule('* * * * * *'); // every second
  const created = at('2020-01-01T00:00:00Z');
  const now = at('2024-01-01T00:00:00.500Z'); // four years of seconds missed
  const skip = dueTicks(s, created, created, now, 'skip');
  assert.equal(skip.length, 60, 'only the on-time minute');
  assert.deepEqual(iso([skip[0], skip.at(-1)!]), ['2023-12-31T23:59:01.000Z', '2024-01-01T00:00:00.000Z']);
  const once = dueTicks(s, created, created, now, 'run-once');
  assert.equal(once.length, 61);
  assert.equal(new Date(once[0]).toISOString(), '2023-12-31T23:59:00.000Z');
});

test('dueTicks anchors rates at creation and honours the missed policy', () => {
  const s = parseSchedule('rate(1 hour)');
  const created = at('2024-01-01T00:20:00Z');
  assert.deepEqual(iso(dueTicks(s, null, created, at('2024-01-01T01:20:05Z'), 'skip')), ['2024-01-01T01:20:00.000Z']);
  const last = at('2024-01-01T01:20:00Z');
  assert.deepEqual(dueTicks(s, last, created, at('2024-01-01T05:50:00Z'), 'skip'), []);
  assert.deepEqual(iso(dueTicks(s, last, created, at('2024-01-01T05:50:00Z'), 'run-once')), ['2024-01-01T05:20:00.000Z']);
});

test('dueTicks across a DST fall-back fires both 01:30s of an interval job, each once', () => {
  // 2024-11-03 01:00-01:59 happens twice in New York.
  const s = parseSchedule('*/30 1 * * *', { timezone: 'America/New_York' });
  const created = at('2024-11-03T04:00:00Z');
  const fired: number[] = [];
  let last: number | null = null;
  for (let now = created; now <= at('2024-11-03T07:00:00Z'); now += 50 * SEC) {
    for (const t of dueTicks(s, last, created, now, 'skip')) {
      fired.push(t);
      last = t;
    }
  }
  assert.deepEqual(iso(fired), [
    '2024-11-03T05:00:00.000Z',
    '2024-11-03T05:30:00.000Z',
    '2024-11-03T06:00:00.000Z',
    '2024-11-03T06:30:00.000Z',
  ]);
  // run-once after an outage over the whole repeated hour picks the last one.
  assert.deepEqual(iso(dueTicks(s, null, created, at('2024-11-03T08:00:00Z'), 'run-once')), ['2024-11-03T06:30:00.000Z']);
});

test('dueTicks rejects an unknown missed policy; nextWakeAt is the next tick', () => {
  const s = parseSchedule('@hourly');
  rejects(() => dueTicks(s, null, 0, 1, 'all' as 'skip'), 'missedPolicy', /"skip" or "run-once"/);
  assert.equal(nextWakeAt(s, at('2024-01-01T00:00:00Z'), at('2024-01-01T05:10:00Z')), at('2024-01-01T06:00:00Z'));
  assert.equal(nextWakeAt(parseSchedule('rate(10 minutes)'), at('2024-01-01T00:01:00Z'), at('2024-01-01T00:00:00Z')), at('2024-01-01T00:11:00Z'));
});
