import * as yup from 'yup';

export default async function probe() {
  const schema = yup.object({
    name: yup.string().required().min(2),
    email: yup.string().email().required(),
    age: yup.number().integer().positive(),
    website: yup.string().url(),
  });
  const good = await schema.validate({ name: 'Ana', email: 'ana@example.com', age: '42' });
  let errors: string[] = [];
  try {
    await schema.validate({ name: 'A', email: 'x', age: -3, website: 'nope' }, { abortEarly: false });
  } catch (e) {
    errors = (e as yup.ValidationError).errors;
  }
  return { good, errors, cast: schema.cast({ name: 'Bo', email: 'b@c.de', age: '7' }) };
}
