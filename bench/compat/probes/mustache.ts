import Mustache from 'mustache';

export default function probe() {
  const view = { name: 'Nimbus', items: [{ n: 1 }, { n: 2 }], html: '<b>x</b>', empty: [] };
  return {
    text: Mustache.render('Hi {{name}}! {{#items}}[{{n}}]{{/items}} {{html}} {{{html}}} {{^empty}}none{{/empty}} {{> p}}', view, { p: 'partial {{name}}' }),
    tokens: Mustache.parse('{{a}} {{#b}}c{{/b}}').length,
  };
}
