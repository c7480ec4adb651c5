import Handlebars from 'handlebars';

export default function probe() {
  const hb = Handlebars.create();
  hb.registerHelper('upper', (s: string) => s.toUpperCase());
  hb.registerPartial('item', '<li>{{name}}{{#if done}} ✓{{/if}}</li>');
  const template = hb.compile('<h1>{{upper title}}</h1><ul>{{#each items}}{{> item}}{{/each}}</ul>{{{raw}}} {{escaped}}');
  return { html: template({ title: 'todo', items: [{ name: 'a', done: true }, { name: 'b' }], raw: '<i>r</i>', escaped: '<e>' }) };
}
