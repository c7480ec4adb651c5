/**
 * Bound by esbuild's `inject` to code that refers to the global `EventSource`: the
 * eventsource package (the HTML Standard's EventSource over `fetch`), bundled only into
 * functions that use it. It connects with the isolate's `fetch`, so the platform's egress
 * rules apply. A Web global, not part of the Node layer.
 */
import { EventSource as Base } from 'eventsource';

/** True while the package dispatches one of its events (it has already called the `on…` handler itself). */
let dispatching = false;

/**
 * The package calls `onopen`/`onmessage`/`onerror` itself, then dispatches the event; the
 * runtime's EventTarget also calls an `on<type>` property it finds on the target, so each
 * handler would run twice. While the package dispatches, those properties read as null.
 */
class EventSource extends Base {
  override dispatchEvent(event: Event): boolean {
    dispatching = true;
    try {
      return super.dispatchEvent(event);
    } finally {
      dispatching = false;
    }
  }
  override get onopen() {
    return dispatching ? null : super.onopen;
  }
  override set onopen(value) {
    super.onopen = value;
  }
  override get onmessage() {
    return dispatching ? null : super.onmessage;
  }
  override set onmessage(value) {
    super.onmessage = value;
  }
  override get onerror() {
    return dispatching ? null : super.onerror;
  }
  override set onerror(value) {
    super.onerror = value;
  }
}

export { EventSource };
