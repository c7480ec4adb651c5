import _ from 'lodash';

export default function probe() {
  const users = [
    { name: 'ana', age: 34, team: 'a' },
    { name: 'bo', age: 27, team: 'b' },
    { name: 'cy', age: 41, team: 'a' },
  ];
  const deep = { a: { b: [1, { c: 2 }] } };
  const clone = _.cloneDeep(deep);
  _.set(clone, 'a.b[1].c', 3);
  return {
    chunk: _.chunk([1, 2, 3, 4, 5], 2),
    groupBy: _.groupBy(users, 'team'),
    orderBy: _.orderBy(users, ['age'], ['desc']).map((u) => u.name),
    merged: _.merge({ a: { x: 1 } }, { a: { y: 2 } }),
    get: _.get(deep, 'a.b[1].c'),
    untouched: deep.a.b,
    changed: clone.a.b,
    cases: [_.camelCase('Foo Bar-baz'), _.kebabCase('fooBarBaz'), _.snakeCase('Foo Bar'), _.startCase('hello world')],
    template: _.template('hello <%= name %>! <% _.forEach(xs, function(x) { %><%- x %>,<% }); %>')({ name: 'nimbus', xs: ['<a>', 'b'] }),
    uniq: _.uniqBy([{ id: 1 }, { id: 1 }, { id: 2 }], 'id'),
    isEqual: _.isEqual({ a: [1, 2] }, { a: [1, 2] }),
    debounced: typeof _.debounce(() => undefined, 10),
  };
}
