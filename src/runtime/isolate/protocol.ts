/**
 * The wire between the host and the shim inside an isolate. Both sides import these
 * numbers (the shim is bundled with esbuild, so they are inlined there).
 *
 * host → isolate: `recv(kind, ...args)`, delivered with `apply`, never awaited (never blocks the host; its promise reports an unhandled rejection).
 * isolate → host: `send(kind, ...args)`, an `ignored` ivm Callback: one FIFO channel, so a
 * log line sent before a result always reaches the host before it.
 * isolate → host, synchronous: `random(n)` only (a few KB of entropy at a time).
 */

// host → isolate
export const IN_SETUP = 0; // (env, maxPayloadBytes) → [hasFetch, hasHandler] | reason text
/**
 * IN_FETCH: (seq, remainingMs, attempt, version, text, body) where text is invocationId,
 * functionName, method, url and then the headers' wire form, joined by "\n". Few arguments
 * on purpose: each one costs the host an allocation in isolated-vm.
 */
export const IN_FETCH = 1; // body: ArrayBuffer, an ASCII-only one as a string, null, or the number of the incoming stream carrying a streamed body
export const IN_HANDLER = 2; // (seq, invocationId, remainingMs, attempt, functionName, version, memoryMb, event)
/**
 * IN_HANDLER_JSON: (seq, remainingMs, attempt, version, memoryMb, text), text being invocationId,
 * functionName and the event's JSON text joined by "\n" (the JSON last: it may hold newlines).
 * For a caller that has the event as JSON already (a queued item's payload): the shim parses
 * it on the isolate's thread, where IN_HANDLER's event is serialized on the host's.
 */
export const IN_HANDLER_JSON = 14;
export const IN_TIMER = 3; // (timerId)
export const IN_REPLY = 4; // (callId, ok, value)
export const IN_CANARY = 6; // () → a promise the shim keeps and never settles: it rejects only when the isolate is gone
export const IN_WARM = 5; // () — runs the dispatch paths once so V8 compiles them before a real call
/**
 * Streams. "Outgoing" ones go isolate → host (a streamed response body, an outbound fetch's
 * streamed request body): the shim numbers them and sends a chunk only against credit the
 * host gave, so at most a few chunks are in flight. "Incoming" ones go host → isolate (a
 * streamed request body, an outbound fetch's response body): the host numbers them and
 * answers one OUT_READ with one IN_DATA.
 */
export const IN_PULL = 7; // (streamId, n) — the host takes n more chunks of outgoing stream streamId
export const IN_CANCEL = 8; // (streamId, reason) — the host wants no more of outgoing stream streamId
export const IN_DATA = 9; // (streamId, chunk ArrayBuffer | null at the end, error text | null) — next chunk of incoming stream streamId
/**
 * WebSockets a function accepted (R_SOCKET): numbered by the shim. Each client message is
 * one IN_WS_MESSAGE, and the shim answers each with OUT_WS_ACK once its listeners ran, so
 * the host holds at most a few unhandled messages per socket (it pauses the client past that).
 */
export const IN_WS_MESSAGE = 10; // (socketId, data: string | ArrayBuffer)
export const IN_WS_CLOSE = 11; // (socketId, code, reason) — the socket is closed (1006: abnormally, an error event first)
/**
 * (socketId, bytes) — the host has taken `bytes` more of what the function sent (confirmed in
 * batches). The shim lets at most WS_SEND_WINDOW bytes be sent and not yet confirmed: past
 * that the function is sending faster than the host takes it, and the socket is closed (1008).
 */
export const IN_WS_TAKEN = 12;
export const IN_ABORT = 13; // (seq) — the HTTP client went away before the function answered: abort its request.signal
/**
 * (owner, id, event, data) — an event of a Node layer socket or name lookup (node-sockets.ts),
 * run as its owner: the invocation numbered `owner` while it is not finished, else as no
 * invocation (the instance's own code, as module-level timers are).
 */
export const IN_NODE_SOCKET = 15;
export const WS_SEND_WINDOW = 8 * 1024 * 1024;
/** The host confirms taken bytes once this many have gathered. */
export const WS_TAKEN_BATCH = 64 * 1024;

// isolate → host
export const OUT_LOG = 1; // (invocationId, level, text)
export const OUT_DONE = 2; // (seq, result kind, hasBackground, ...payload)
export const OUT_BG_DONE = 3; // (seq)
export const OUT_TIMER_SET = 4; // (seq, timerId, ms)
export const OUT_TIMER_CLEAR = 5; // (timerId)
export const OUT_CALL = 6; // (seq, callId, op, ...args)
export const OUT_MEMORY = 7; // (seq) — wasm memory passed the function's memory limit: stop the instance
export const OUT_CHUNK = 8; // (streamId, ArrayBuffer) — the next chunk of outgoing stream streamId, against credit
/**
 * (seq, streamId, error | null, background) — outgoing stream streamId is over: error is
 * "name\nmessage" when the function's stream failed; background, for a response's stream:
 * its invocation has waitUntil work left (OUT_BG_DONE follows), else the invocation is over.
 */
export const OUT_END = 9;
export const OUT_READ = 10; // (seq, streamId) — the shim wants the next chunk of incoming stream streamId
export const OUT_RCANCEL = 11; // (streamId) — the function cancelled incoming stream streamId
export const OUT_WS_SEND = 12; // (socketId, data: string | ArrayBuffer) — the function sent a message
export const OUT_WS_CLOSE = 13; // (socketId, code, reason) — the function closed the socket
export const OUT_WS_ACK = 14; // (socketId) — the shim handled one IN_WS_MESSAGE

// result kinds of OUT_DONE
export const R_RESPONSE = 1; // head (status, statusText, then the headers' wire form, joined by "\n"), body (string | ArrayBuffer)
export const R_VALUE = 2; // JSON text
export const R_ERROR = 3; // name, message, stack
export const R_BAD = 4; // detail
export const R_INVALID = 5; // detail
export const R_STREAM = 6; // head (as R_RESPONSE), streamId of the outgoing stream carrying the body
export const R_SOCKET = 7; // head (as R_RESPONSE, status 101), socketId of the WebSocket the function accepts

// OUT_CALL operations
export const OP_FETCH = 1; // method, url, headers (joined), body (ArrayBuffer | null)
export const OP_DIGEST = 2; // algorithm, data (ArrayBuffer)
export const OP_HMAC = 3; // hash, key (ArrayBuffer), data (ArrayBuffer) → ArrayBuffer
/** method, arguments (keys as their numbers), number of the algorithm's `public` key or null → [true, value] | [false, name, message] */
export const OP_SUBTLE = 4;
export const OP_KEY_FREE = 5; // key number: the shim no longer holds that key (no reply)
/** action, a, b: ZLIB_OPEN (format, decompress) → number; ZLIB_WRITE (number, ArrayBuffer) → ArrayBuffer; ZLIB_END (number) → ArrayBuffer */
export const OP_ZLIB = 6;
export const OP_ZLIB_FREE = 7; // number: the shim dropped that (de)compressor (no reply)
/** socketId (numbered by the shim), url, subprotocols joined by "\n" → the subprotocol the server chose; the socket then works as an accepted one */
export const OP_WS_CONNECT = 8;
export const ZLIB_OPEN = 1;
export const ZLIB_WRITE = 2;
export const ZLIB_END = 3;

// log levels as numbers on the wire
export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const L_DEBUG = 0;
export const L_INFO = 1;
export const L_WARN = 2;
export const L_ERROR = 3;

/**
 * Headers travel as one string: name, value, name, value… joined by "\n". HTTP forbids
 * CR and LF in names and values, so the separator cannot occur inside one.
 */
export const HEADER_SEP = '\n';

/** Slot in the shared Int32Array: the seq of the invocation whose code runs now (0: none). */
export const SAB_CURRENT = 0;
export const SAB_LENGTH = 2;
