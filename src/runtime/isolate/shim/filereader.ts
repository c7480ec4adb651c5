/**
 * FileReader and ProgressEvent (File API, XHR). A read is a few queued tasks over the
 * Blob's bytes, already in memory: loadstart, one progress if there are bytes, load,
 * loadend, each in its own task (the standard queues a task for each but load and loadend;
 * see below), so a listener sees the reader's state between them; abort() fires abort and
 * loadend at once and drops the tasks still queued.
 */
import { Blob } from './blob.ts';
import { bytesToBase64, encodingForLabel, exactBuffer, TextDecoder } from './encoding.ts';
import { DOMException, Event, EventTarget, markTrusted, type EventInit } from './events.ts';
import { setTimeout } from './timers.ts';

export class ProgressEvent extends Event {
  readonly #lengthComputable: boolean;
  readonly #loaded: number;
  readonly #total: number;
  constructor(type: string, init: (EventInit & { lengthComputable?: boolean; loaded?: number; total?: number }) | null = {}) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'ProgressEvent': 1 argument required");
    super(type, init);
    this.#lengthComputable = Boolean(init?.lengthComputable);
    this.#loaded = Number(init?.loaded ?? 0);
    this.#total = Number(init?.total ?? 0);
  }
  get lengthComputable(): boolean {
    return this.#lengthComputable;
  }
  get loaded(): number {
    return this.#loaded;
  }
  get total(): number {
    return this.#total;
  }
  override get [Symbol.toStringTag](): string {
    return 'ProgressEvent';
  }
}

type Kind = 'arraybuffer' | 'binarystring' | 'text' | 'dataurl';

const EMPTY = 0;
const LOADING = 1;
const DONE = 2;

/** The charset parameter of a MIME type, if it names an encoding. */
function charsetOf(type: string): string | undefined {
  const m = /;\s*charset=("?)([^";]*)\1/i.exec(type);
  return m === null ? undefined : encodingForLabel(m[2]);
}

/** The Encoding Standard's decode: a byte order mark wins over the encoding given. */
function decodeText(bytes: Uint8Array, label: string | undefined, type: string): string {
  let encoding = (label === undefined ? undefined : encodingForLabel(label)) ?? charsetOf(type) ?? 'utf-8';
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) encoding = 'utf-8';
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = 'utf-16be';
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = 'utf-16le';
  try {
    return new TextDecoder(encoding).decode(bytes);
  } catch {
    // an encoding TextDecoder refuses (replacement): the standard decodes it to one U+FFFD
    return bytes.length === 0 ? '' : '\ufffd';
  }
}

export class FileReader extends EventTarget {
  static readonly EMPTY = EMPTY;
  static readonly LOADING = LOADING;
  static readonly DONE = DONE;
  declare readonly EMPTY: 0;
  declare readonly LOADING: 1;
  declare readonly DONE: 2;
  #state = EMPTY;
  #result: string | ArrayBuffer | null = null;
  #error: DOMException | null = null;
  /** Bumped by every read and abort: a queued task of an older read does nothing. */
  #read = 0;
  onloadstart: ((event: ProgressEvent) => unknown) | null = null;
  onprogress: ((event: ProgressEvent) => unknown) | null = null;
  onload: ((event: ProgressEvent) => unknown) | null = null;
  onabort: ((event: ProgressEvent) => unknown) | null = null;
  onerror: ((event: ProgressEvent) => unknown) | null = null;
  onloadend: ((event: ProgressEvent) => unknown) | null = null;

  get readyState(): number {
    return this.#state;
  }
  get result(): string | ArrayBuffer | null {
    return this.#result;
  }
  get error(): DOMException | null {
    return this.#error;
  }

  readAsArrayBuffer(blob: Blob): void {
    this.#start(blob, 'arraybuffer', undefined, arguments.length);
  }
  readAsBinaryString(blob: Blob): void {
    this.#start(blob, 'binarystring', undefined, arguments.length);
  }
  readAsText(blob: Blob, encoding?: string): void {
    this.#start(blob, 'text', encoding === undefined ? undefined : String(encoding), arguments.length);
  }
  readAsDataURL(blob: Blob): void {
    this.#start(blob, 'dataurl', undefined, arguments.length);
  }

  abort(): void {
    if (this.#state === EMPTY || this.#state === DONE) {
      this.#result = null;
      return;
    }
    this.#state = DONE;
    this.#result = null;
    this.#read++;
    this.#fire('abort');
    if (this.#state !== LOADING) this.#fire('loadend');
  }

  #fire(type: string, loaded = 0, total = 0): void {
    this.dispatchEvent(markTrusted(new ProgressEvent(type, { lengthComputable: total > 0, loaded, total })));
  }

  #start(blob: Blob, kind: Kind, label: string | undefined, argc: number): void {
    if (argc === 0) throw new TypeError("Failed to execute 'read' on 'FileReader': 1 argument required");
    if (!(blob instanceof Blob)) throw new TypeError("Failed to execute 'read' on 'FileReader': parameter 1 is not of type 'Blob'");
    if (this.#state === LOADING) throw new DOMException('The object is already busy reading Blobs.', 'InvalidStateError');
    this.#state = LOADING;
    this.#result = null;
    this.#error = null;
    const read = ++this.#read;
    const bytes = Blob._bytes(blob);
    const type = blob.type;
    const later = (step: () => void) =>
      setTimeout(() => {
        if (read === this.#read) step();
      }, 0);
    later(() => {
      this.#fire('loadstart', 0, bytes.length);
      later(() => {
        if (bytes.length > 0) this.#fire('progress', bytes.length, bytes.length);
        later(() => {
          this.#state = DONE;
          this.#result = kind === 'arraybuffer' ? exactBuffer(bytes.slice()) : kind === 'binarystring' ? binaryString(bytes) : kind === 'text' ? decodeText(bytes, label, type) : `data:${type || 'application/octet-stream'};base64,${bytesToBase64(bytes)}`;
          this.#fire('load', bytes.length, bytes.length);
          // loadend in a task of its own: a browser runs the microtasks a load listener
          // queued before it (the listener's script ends); an isolate runs them only
          // after this task. A read started by a load listener has bumped #read: no loadend.
          later(() => this.#fire('loadend', bytes.length, bytes.length));
        });
      });
    });
  }

  get [Symbol.toStringTag](): string {
    return 'FileReader';
  }
}
for (const [name, value] of [['EMPTY', EMPTY], ['LOADING', LOADING], ['DONE', DONE]] as const) {
  Object.defineProperty(FileReader.prototype, name, { value, enumerable: true });
}

function binaryString(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}
