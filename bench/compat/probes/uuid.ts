import { v1, v3, v4, v5, v6, v7, validate, version, parse, stringify, NIL, MAX } from 'uuid';

export default function probe() {
  const ns = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
  const fixed = { msecs: 1709210096789, nsecs: 0, clockseq: 0x1234, node: Uint8Array.of(1, 2, 3, 4, 5, 6) };
  return {
    v3: v3('hello', ns),
    v5: v5('hello', ns),
    v1: v1(fixed),
    v6: v6(fixed),
    v7: v7({ msecs: 1709210096789, seq: 0, random: new Uint8Array(16) }),
    v4Valid: validate(v4()),
    v4Version: version(v4()),
    roundTrip: stringify(parse('110ec58a-a0f2-4ac4-8393-c866d813b8d1')),
    nil: NIL,
    max: MAX,
    invalid: validate('not-a-uuid'),
  };
}
