import { DateTime, Duration, Interval, Settings } from 'luxon';
import { FIXED_MS } from './fixtures.ts';

export default function probe() {
  Settings.defaultZone = 'utc';
  const d = DateTime.fromMillis(FIXED_MS);
  return {
    iso: d.toISO(),
    formatted: d.toFormat("cccc, d LLLL yyyy HH:mm:ss 'UTC'"),
    berlin: d.setZone('Europe/Berlin').toISO(),
    sydney: d.setZone('Australia/Sydney').toFormat('yyyy-MM-dd HH:mm ZZZZ'),
    locale: d.setLocale('de').toLocaleString(DateTime.DATE_FULL),
    plus: d.plus({ months: 1 }).toISODate(),
    duration: Duration.fromObject({ hours: 26, minutes: 3 }).shiftTo('days', 'hours', 'minutes').toObject(),
    interval: Interval.fromDateTimes(d, d.plus({ days: 10 })).length('days'),
    relative: d.toRelative({ base: d.plus({ days: 2 }) }),
    invalid: DateTime.fromISO('2024-02-30').invalidReason,
  };
}
