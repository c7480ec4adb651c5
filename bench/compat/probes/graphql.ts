import { buildSchema, graphql, parse, print, validate } from 'graphql';

export default async function probe() {
  const schema = buildSchema('type Query { hello(name: String = "world"): String, users: [User!]! } type User { id: ID!, name: String }');
  const rootValue = { hello: ({ name }: { name: string }) => `hello ${name}`, users: () => [{ id: 1, name: 'ana' }, { id: 2, name: null }] };
  const ok = await graphql({ schema, source: '{ hello users { id name } }', rootValue });
  const named = await graphql({ schema, source: 'query Q($n: String) { hello(name: $n) }', rootValue, variableValues: { n: 'nimbus' } });
  const bad = validate(schema, parse('{ nope }'));
  return { ok, named, bad: bad.map((e) => e.message), printed: print(parse('query{hello(name:"x")}')) };
}
