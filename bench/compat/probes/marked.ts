import { marked } from 'marked';

export default function probe() {
  const md = '# Title\n\nSome *emphasis*, **strong** and `code`.\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n```js\nconst a = 1;\n```\n\n[link](https://nimbus.dev "t")\n';
  return { html: marked.parse(md, { async: false }), lexed: marked.lexer('# h\n\ntext').map((t) => t.type) };
}
