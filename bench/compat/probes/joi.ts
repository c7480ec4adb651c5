import Joi from 'joi';

export default function probe() {
  const schema = Joi.object({
    username: Joi.string().alphanum().min(3).max(30).required(),
    birth: Joi.number().integer().min(1900).max(2013),
    email: Joi.string().email({ tlds: { allow: false } }),
    when: Joi.date().iso(),
  });
  const good = schema.validate({ username: 'abc', birth: 1994, email: 'a@b.co', when: '2024-02-29T00:00:00Z' });
  const bad = schema.validate({ username: 'a!', birth: 3000 }, { abortEarly: false });
  return {
    good: { ...good.value, when: (good.value.when as Date).toISOString() },
    goodError: good.error?.message ?? null,
    bad: bad.error?.details.map((d) => ({ path: d.path, type: d.type, message: d.message })),
  };
}
