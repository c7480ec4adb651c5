import { Decimal } from 'decimal.js';

export default function probe() {
  const D = Decimal.clone({ precision: 30, rounding: Decimal.ROUND_HALF_EVEN });
  return {
    sum: new D('0.1').plus('0.2').toString(),
    div: new D(1).div(3).toString(),
    pow: new D(2).pow(100).toFixed(),
    sqrt: new D(2).sqrt().toSignificantDigits(25).toString(),
    money: new D('19.995').toDecimalPlaces(2).toFixed(2),
    exp: new D(1).exp().toString(),
    cmp: [new D('1e-20').gt(0), new D('-0').isNeg(), D.max(1, '3', 2).toNumber()],
  };
}
