import superjson from 'superjson';

export default function probe() {
  const value = { when: new Date(Date.UTC(2024, 1, 29)), set: new Set([1, 2]), map: new Map([['k', { v: 1 }]]), big: 12345678901234567890n, re: /ab+c/gi, undef: undefined, nan: Number.NaN };
  const out = superjson.serialize(value);
  const back = superjson.parse<typeof value>(superjson.stringify(value));
  return {
    out,
    back: { when: back.when.toISOString(), set: [...back.set], map: [...back.map], big: back.big.toString(), re: back.re.toString(), undef: 'undef' in back, nan: Number.isNaN(back.nan) },
  };
}
