import { addDays, differenceInCalendarDays, formatISO, parseISO, isLeapYear, startOfWeek, eachDayOfInterval, formatDistanceStrict, isValid, getISOWeek, format } from 'date-fns';
import { fixedDate } from './fixtures.ts';

export default function probe() {
  const d = fixedDate();
  return {
    plus3: addDays(d, 3).toISOString(),
    diff: differenceInCalendarDays(parseISO('2024-12-25'), parseISO('2024-02-29')),
    iso: formatISO(parseISO('2024-02-29T12:34:56Z'), { representation: 'date' }),
    leap: isLeapYear(d),
    week: startOfWeek(parseISO('2024-02-29'), { weekStartsOn: 1 }).getDate(),
    days: eachDayOfInterval({ start: parseISO('2024-02-27'), end: parseISO('2024-03-02') }).length,
    distance: formatDistanceStrict(parseISO('2024-01-01'), parseISO('2024-03-15')),
    valid: isValid(parseISO('2024-13-45')),
    isoWeek: getISOWeek(d),
    formatted: format(parseISO('2024-02-29T12:34:56'), "EEEE, do MMMM yyyy 'at' HH:mm"),
  };
}
