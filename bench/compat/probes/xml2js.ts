import xml2js from 'xml2js';

export default async function probe() {
  const xml = '<root a="1"><item id="x">one</item><item id="y">two &amp; three</item><empty/></root>';
  const parsed = await xml2js.parseStringPromise(xml);
  const explicit = await xml2js.parseStringPromise(xml, { explicitArray: false, mergeAttrs: true });
  const built = new xml2js.Builder({ headless: true, renderOpts: { pretty: false } }).buildObject({ root: { $: { v: '2' }, child: ['a', 'b < c'] } });
  let error = '';
  try {
    await xml2js.parseStringPromise('<a><b></a>');
  } catch (e) {
    error = (e as Error).message.split('\n')[0];
  }
  return { parsed, explicit, built, error };
}
