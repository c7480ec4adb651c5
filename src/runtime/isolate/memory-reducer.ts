/**
 * V8's memory reducer, off for the isolates this runtime makes. The reducer shrinks the heap
 * of an isolate that looks idle: some seconds after a full GC, an isolate that runs few calls
 * and allocates slowly gets up to three more full GCs. A warm function with light but steady
 * traffic looks idle to it, so with many such isolates the platform runs those full GCs all
 * the time, each one on an isolate's thread and V8's worker threads (bench/README.md, many
 * warm functions). An instance's heap is bounded by
 * its memory limit (isolated-vm signals pressure near it) and an idle instance is stopped
 * after its idle timeout, which is how the platform gives memory back.
 *
 * The flag is read when a heap is set up: set before the runtime makes its first isolate, it
 * holds for every function isolate and not for the platform's own heap, made before it.
 */
import { setFlagsFromString } from 'node:v8';

let done = false;

export function memoryReducerOffForNewIsolates(): void {
  if (done) return;
  done = true;
  setFlagsFromString('--no-memory-reducer');
}
