/**
 * Reads a zip archive (Lambda's ZipFile): the end-of-central-directory record, the central
 * directory, and each entry's data, stored or deflated (node:zlib inflateRawSync). No zip64,
 * no encryption: Lambda code archives do not need them; such archives are refused by name.
 */
import { inflateRawSync } from 'node:zlib';
import { awsErr } from './errors.ts';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export function readZip(zip: Buffer, maxTotalBytes: number): Map<string, Buffer> {
  const bad = (why: string) => awsErr.invalidParameter(`Could not unzip uploaded file: ${why}`);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('it is not a zip archive (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || at === 0xffffffff) throw bad('zip64 archives are not supported');
  const files = new Map<string, Buffer>();
  let total = 0;
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL) throw bad('the central directory is damaged');
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    at += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    if (flags & 1) throw bad(`${name} is encrypted`);
    total += size;
    if (total > maxTotalBytes) throw awsErr.invalidParameter(`Unzipped size must be smaller than ${maxTotalBytes} bytes`);
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== LOCAL) throw bad(`the entry ${name} is damaged`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    let data: Buffer;
    if (method === 0) data = raw;
    else if (method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, size) });
      } catch (error) {
        throw bad(`${name}: ${(error as Error).message}`);
      }
    } else throw bad(`${name} uses compression method ${method}; use deflate or store`);
    if (data.length !== size) throw bad(`${name} is ${data.length} bytes, the directory says ${size}`);
    files.set(name, data);
  }
  return files;
}
