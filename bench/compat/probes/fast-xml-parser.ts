import { XMLParser, XMLBuilder, XMLValidator } from 'fast-xml-parser';

const xml = `<?xml version="1.0"?>
<catalog xmlns:x="urn:x">
  <book id="b1" lang="en"><title>Nimbus &amp; Co</title><price>12.50</price><tags><tag>a</tag><tag>b</tag></tags></book>
  <book id="b2"><title><![CDATA[<raw>]]></title><price>7</price></book>
</catalog>`;

export default function probe() {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', cdataPropName: '#cdata' });
  const parsed = parser.parse(xml);
  return {
    valid: XMLValidator.validate(xml),
    invalid: XMLValidator.validate('<a><b></a>'),
    parsed,
    built: new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: true }).build({ root: { '@version': '2', item: [{ name: 'x' }, { name: 'y & z' }] } }),
  };
}
