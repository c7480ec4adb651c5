import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import timezone from 'dayjs/plugin/timezone.js';
import relativeTime from 'dayjs/plugin/relativeTime.js';
import customParseFormat from 'dayjs/plugin/customParseFormat.js';
import { FIXED_MS } from './fixtures.ts';

dayjs.extend(utc);
dayjs.extend(timezone);
dayjs.extend(relativeTime);
dayjs.extend(customParseFormat);

export default function probe() {
  const d = dayjs.utc(FIXED_MS);
  return {
    formatted: d.format('YYYY-MM-DD HH:mm:ss.SSS [Z]'),
    nextYear: d.add(1, 'year').format('YYYY-MM-DD'),
    startOfMonth: d.startOf('month').toISOString(),
    diffDays: dayjs.utc('2024-12-25').diff(d, 'day'),
    tokyo: d.tz('Asia/Tokyo').format('YYYY-MM-DD HH:mm Z'),
    newYork: d.tz('America/New_York').format('YYYY-MM-DD HH:mm Z'),
    from: d.from(d.add(3, 'day')),
    parsed: dayjs.utc('29/02/2024 07:08', 'DD/MM/YYYY HH:mm').toISOString(),
    invalid: dayjs('nope').isValid(),
  };
}
