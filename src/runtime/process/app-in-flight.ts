/** One call in flight on an app instance (app-instance.ts). */
import { NimbusError } from '../../core/errors.ts';
import type { Deadline } from '../../core/deadlines.ts';
import type { ByteStream, InstanceResult, StreamEnd } from '../port.ts';
import type { TurnTask } from './after-turn.ts';
import { AppCall, type AppAnswer, type AppCallEvents } from './app-call.ts';
import type { AppInstance } from './app-instance.ts';

/**
 * One call in flight on an instance: what undici's handler (AppCall) reports to, and what
 * hands the answer to the caller once the turn is over.
 */
export class InFlight implements AppCallEvents, TurnTask {
  readonly handler: AppCall;
  deadline!: Deadline;
  timedOut = false;
  private answeredYet = false;
  /** The whole answer, handed over after the turn. */
  private whole: InstanceResult | null = null;
  private settleStream: ((end: StreamEnd) => void) | null = null;
  private streamEnd: StreamEnd | null = null;

  constructor(
    private readonly instance: AppInstance,
    readonly invocationId: string,
    private readonly upload: ByteStream | undefined,
    head: boolean,
    private readonly resolve: (result: InstanceResult) => void,
    private readonly reject: (error: NimbusError) => void,
  ) {
    this.handler = new AppCall(this, instance.limits, head);
  }

  timeOut(): void {
    this.timedOut = true;
    this.handler.abort(new NimbusError('NIMBUS_ERR_TIMEOUT', `${this.instance.spec.functionName}: no answer within ${this.instance.spec.config.timeoutMs} ms`));
  }

  /** The HTTP client went away: a call not answered yet is ended (the app's connection closed). */
  clientGone(): void {
    if (this.answeredYet) return;
    this.handler.abort(new NimbusError('NIMBUS_ERR_CLIENT_CLOSED', `${this.instance.spec.functionName}: the client closed the connection before the app answered`));
  }

  answered(answer: AppAnswer): void {
    this.answeredYet = true;
    if (answer.stream === null) {
      this.whole = { mode: 'fetch', response: { status: answer.status, statusText: '', headers: answer.headers, body: answer.body } };
      // the lines the app printed before it answered are this call's
      this.instance.deps.afterTurn(this);
      return;
    }
    const streamEnd = new Promise<StreamEnd>((settle) => (this.settleStream = settle));
    this.resolve({ mode: 'fetch', response: { status: answer.status, statusText: '', headers: answer.headers, body: EMPTY, stream: answer.stream }, streamEnd });
  }

  failed(error: Error): void {
    this.over();
    void this.instance.failure(error, this).then(this.reject);
  }

  streamEnded(error: NimbusError | null): void {
    this.streamEnd = { error };
    // as for a whole answer: the lines the app printed with its last chunk are this call's
    this.instance.deps.afterTurn(this);
  }

  failure(error: Error): Promise<NimbusError> {
    return this.instance.failure(error, this);
  }

  afterTurn(): void {
    this.over();
    if (this.whole !== null) this.resolve(this.whole);
    else if (this.streamEnd !== null) this.settleStream?.(this.streamEnd);
  }

  private over(): void {
    this.instance.callOver(this);
    this.upload?.cancel(new NimbusError('NIMBUS_ERR_CLIENT_CLOSED', 'the call is over'));
  }
}

const EMPTY = new Uint8Array(0);
