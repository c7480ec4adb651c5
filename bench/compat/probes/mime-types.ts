import mime from 'mime-types';

export default function probe() {
  return {
    lookup: ['a.json', 'x.html', 'pic.webp', 'file.unknownext', 'archive.tar.gz', 'README.md'].map((f) => mime.lookup(f)),
    contentType: [mime.contentType('json'), mime.contentType('text/html'), mime.contentType('.png')],
    extension: [mime.extension('application/pdf'), mime.extension('text/plain; charset=utf-8')],
    charset: mime.charset('text/markdown'),
  };
}
