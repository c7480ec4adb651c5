/**
 * The record ledger as a 16-byte file in the data directory: the issued and committed
 * totals as two float64s, rewritten in place (pwrite, no fsync). A write that returned is
 * in the kernel's page cache, so it survives a kill -9 of the platform (not a power cut).
 */
import { closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { previousRun, type PreviousRun, type RecordLedger } from '../observe/record-ledger.ts';

export interface FileRecordLedger extends RecordLedger {
  /** The run before this one, read when the file was opened (zero when there was none). */
  readonly previous: PreviousRun;
  close(): void;
}

export function openFileRecordLedger(path: string): FileRecordLedger {
  // 'r+' reads and writes in place; a missing file is made ('w+').
  const out = existsSync(path) ? openSync(path, 'r+') : openSync(path, 'w+');
  const buf = Buffer.alloc(16);
  const read = readSync(out, buf, 0, 16, 0);
  const previous = read === 16 ? previousRun(buf.readDoubleLE(0), buf.readDoubleLE(8)) : previousRun(0, 0);
  let issued = 0;
  let committed = 0;
  const write = () => {
    buf.writeDoubleLE(issued, 0);
    buf.writeDoubleLE(committed, 8);
    writeSync(out, buf, 0, 16, 0);
  };
  write();
  return {
    previous,
    noteIssued(total) {
      issued = total;
      write();
    },
    noteCommitted(total) {
      committed = total;
      write();
    },
    close() {
      closeSync(out);
    },
  };
}
