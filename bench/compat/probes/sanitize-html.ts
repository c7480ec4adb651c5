import sanitizeHtml from 'sanitize-html';

export default function probe() {
  const dirty = '<p onclick="x()">Hi <b>there</b><script>alert(1)</script><a href="javascript:alert(1)">x</a><a href="https://ok.example" target="_blank">ok</a><img src="a.png" onerror="y()"><style>p{}</style></p>';
  return {
    default: sanitizeHtml(dirty),
    custom: sanitizeHtml(dirty, { allowedTags: ['p', 'a', 'img'], allowedAttributes: { a: ['href', 'target'], img: ['src'] }, transformTags: { b: 'strong' } }),
    text: sanitizeHtml('<div>only <i>text</i></div>', { allowedTags: [], allowedAttributes: {} }),
  };
}
