/** Invoke the function with a JSON event (POST …/invoke); the answer is shown as text, whatever it holds. */
import { useState } from 'preact/hooks';
import { ApiError, enc, request } from '../api.ts';
import { Card, Pre, ProblemBox, useAction } from '../components/ui.tsx';
import { href } from '../router.ts';
import { json } from '../format.ts';

export function InvokeForm({ name }: { name: string }) {
  const [event, setEvent] = useState('{}');
  const [qualifier, setQualifier] = useState('');
  const [out, setOut] = useState<{ text: string; id: string | null; ms: number } | null>(null);
  const invoke = useAction(async () => {
    let body: unknown;
    try {
      body = JSON.parse(event);
    } catch (e) {
      throw Object.assign(new Error(`the event is not JSON: ${(e as Error).message}`));
    }
    const target = qualifier.trim() ? `${name}@${qualifier.trim()}` : name;
    const started = performance.now();
    const res = await request(`/functions/${enc(target)}/invoke`, { method: 'POST', json: body });
    const text = await res.text();
    let shown = text;
    try {
      shown = json(JSON.parse(text));
    } catch {
      // not JSON: shown as it came
    }
    setOut({ text: shown, id: res.headers.get('x-nimbus-invocation-id'), ms: performance.now() - started });
  });
  return (
    <div id="invoke">
      <Card title="Invoke">
        <form
          class="form"
          onSubmit={(e) => {
            e.preventDefault();
            setOut(null);
            void invoke.run();
          }}
        >
          <div class="field">
            <label for="invoke-event">Event (JSON)</label>
            <textarea id="invoke-event" rows={4} class="mono" spellcheck={false} value={event} onInput={(e) => setEvent((e.target as HTMLTextAreaElement).value)} />
          </div>
          <div class="field">
            <label for="invoke-qualifier">Alias or version (optional)</label>
            <input id="invoke-qualifier" value={qualifier} placeholder="live, 3…" onInput={(e) => setQualifier((e.target as HTMLInputElement).value)} />
          </div>
          <button type="submit" class="primary" disabled={invoke.busy}>
            {invoke.busy ? 'Invoking…' : 'Invoke'}
          </button>
        </form>
        <ProblemBox error={invoke.error} onDismiss={invoke.clear} />
        {failedId(invoke.error) ? (
          <p class="muted">
            Its record: <a href={href(`/invocations/${encodeURIComponent(failedId(invoke.error)!)}`)}>{failedId(invoke.error)}</a>
          </p>
        ) : null}
        {out ? (
          <div class="result" role="status">
            <p class="muted">
              {out.id ? (
                <>
                  Invocation <a href={href(`/invocations/${encodeURIComponent(out.id)}`)}>{out.id}</a>
                </>
              ) : (
                'Invoked'
              )}{' '}
              · {Math.round(out.ms)} ms
            </p>
            <Pre text={out.text} label="Invocation result" />
          </div>
        ) : null}
      </Card>
    </div>
  );
}

/** The invocation a failed invoke made (the problem names it), if any. */
function failedId(error: unknown): string | null {
  const id = error instanceof ApiError ? error.problem.invocationId : undefined;
  return typeof id === 'string' ? id : null;
}
