import validator from 'validator';

export default function probe() {
  return {
    email: [validator.isEmail('ana@example.com'), validator.isEmail('ana@@example')],
    url: [validator.isURL('https://nimbus.dev/x?y=1'), validator.isURL('htp:/x')],
    ip: [validator.isIP('10.0.0.1'), validator.isIP('::1', 6), validator.isIP('300.1.1.1')],
    uuid: validator.isUUID('110ec58a-a0f2-4ac4-8393-c866d813b8d1'),
    escape: validator.escape('<a href="x">&</a>'),
    normalized: validator.normalizeEmail('Ana.Maria+tag@GMail.com'),
    creditCard: validator.isCreditCard('4111111111111111'),
    iso: validator.isISO8601('2024-02-29T12:00:00Z'),
    jwt: validator.isJWT('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'),
    slug: validator.isSlug('hello-world'),
  };
}
