import MarkdownIt from 'markdown-it';

export default function probe() {
  const md = new MarkdownIt({ linkify: true, typographer: true });
  return {
    html: md.render('# Hello\n\nVisit https://nimbus.dev -- "quoted" (c)\n\n1. one\n2. two\n\n> quote\n\n<b>raw</b>'),
    inline: md.renderInline('__bold__ and _em_'),
    unicode: md.render('[ünïcode](https://bücher.example/ä)'),
  };
}
