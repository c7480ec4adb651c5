import { JSDOM } from 'jsdom';

export default function probe() {
  const dom = new JSDOM('<!doctype html><ul><li class="a">one</li><li>two</li></ul>');
  const doc = dom.window.document;
  doc.querySelector('ul')!.insertAdjacentHTML('beforeend', '<li>three</li>');
  return { items: [...doc.querySelectorAll('li')].map((li) => li.textContent), html: doc.body.innerHTML };
}
