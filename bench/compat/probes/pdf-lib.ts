import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';

export default async function probe() {
  const date = new Date(Date.UTC(2024, 1, 29, 12, 0, 0));
  const doc = await PDFDocument.create();
  doc.setTitle('Nimbus');
  doc.setCreationDate(date);
  doc.setModificationDate(date);
  doc.setProducer('probe');
  doc.setCreator('probe');
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([300, 200]);
  page.drawText('Hello, PDF', { x: 20, y: 150, size: 18, font, color: rgb(0.1, 0.2, 0.6) });
  page.drawRectangle({ x: 20, y: 20, width: 100, height: 40, borderColor: rgb(1, 0, 0), borderWidth: 2 });
  const bytes = await doc.save({ useObjectStreams: false });
  const back = await PDFDocument.load(bytes);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return {
    length: bytes.length,
    sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
    pages: back.getPageCount(),
    title: back.getTitle(),
    size: back.getPage(0).getSize(),
    base64Head: (await doc.saveAsBase64({ useObjectStreams: false })).slice(0, 40),
  };
}
