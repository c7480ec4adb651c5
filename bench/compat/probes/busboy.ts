import busboy from 'busboy';

export default async function probe() {
  const boundary = '----nimbus';
  const body = [
    `--${boundary}`, 'Content-Disposition: form-data; name="title"', '', 'Hello ✓',
    `--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="a.txt"', 'Content-Type: text/plain', '', 'file contents\r\nline 2',
    `--${boundary}--`, '',
  ].join('\r\n');
  const fields: Array<[string, string]> = [];
  const files: Array<{ name: string; filename: string; mimeType: string; text: string }> = [];
  await new Promise<void>((resolve, reject) => {
    const bb = busboy({ headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, defParamCharset: 'utf8' });
    bb.on('field', (name, value) => fields.push([name, value]));
    bb.on('file', (name, stream, info) => {
      const chunks: Uint8Array[] = [];
      stream.on('data', (c: Uint8Array) => chunks.push(c));
      stream.on('end', () => files.push({ name, filename: info.filename, mimeType: info.mimeType, text: Buffer.concat(chunks).toString('utf8') }));
    });
    bb.on('close', resolve);
    bb.on('error', reject);
    // in two pieces, split inside a boundary
    const bytes = Buffer.from(body);
    bb.write(bytes.subarray(0, 60));
    bb.end(bytes.subarray(60));
  });
  return { fields, files };
}
