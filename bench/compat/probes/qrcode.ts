import QRCode from 'qrcode';

export default async function probe() {
  return {
    svg: await QRCode.toString('https://nimbus.dev', { type: 'svg', errorCorrectionLevel: 'M', margin: 1 }),
    text: await QRCode.toString('hi', { type: 'utf8' }),
    png: await QRCode.toDataURL('https://nimbus.dev', { errorCorrectionLevel: 'M', margin: 1, scale: 2 }),
    modules: QRCode.create('nimbus', { errorCorrectionLevel: 'L' }).modules.size,
  };
}
