import ms from 'ms';

export default function probe() {
  return {
    parsed: ['2 days', '1d', '10h', '2.5 hrs', '1m', '5s', '100', '-3 days', '1y', 'nope'].map((s) => ms(s)),
    short: [60000, 2 * 60000, -3 * 60000, ms('10 hours'), 1000 * 60 * 60 * 24 * 3].map((n) => ms(n)),
    long: [60000, ms('2 days')].map((n) => ms(n, { long: true })),
  };
}
