/**
 * Deploy a function, or a new version of one, from a pasted module or an uploaded file
 * (PUT /api/v1/functions/{name}; the platform bundles it). Settings left empty keep the
 * previous version's.
 */
import { useState } from 'preact/hooks';
import { api, enc } from '../api.ts';
import { ProblemBox, useAction } from '../components/ui.tsx';
import { navigate } from '../router.ts';

const EXAMPLE = `export default {
  async fetch(request: Request): Promise<Response> {
    console.log('hello from', new URL(request.url).pathname);
    return Response.json({ hello: 'world' });
  },
};
`;

interface Deployed {
  name: string;
  /** The version made (or the identical one kept). */
  version: { version: number };
  created: boolean;
  warnings?: string[];
}

export function DeployForm({ name: fixedName, onDeployed }: { name?: string; onDeployed?: (d: Deployed) => void }) {
  const [name, setName] = useState(fixedName ?? '');
  const [code, setCode] = useState(fixedName ? '' : EXAMPLE);
  const [fileName, setFileName] = useState('index.ts');
  const [memory, setMemory] = useState('');
  const [timeout, setTimeoutMs] = useState('');
  const [result, setResult] = useState<Deployed | null>(null);
  const deploy = useAction(async () => {
    const config: Record<string, unknown> = {};
    if (memory.trim() !== '') config.memoryMb = Number(memory);
    if (timeout.trim() !== '') config.timeoutMs = Number(timeout);
    const entry = /\.(m?[jt]s|tsx?|jsx)$/.test(fileName) ? fileName : 'index.ts';
    const body = { source: { files: { [entry]: code }, entry }, ...(Object.keys(config).length ? { config } : {}) };
    return api<Deployed>(`/functions/${enc(name.trim())}`, { method: 'PUT', json: body });
  });
  const onFile = async (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    setFileName(file.name.replace(/[^\w.-]/g, '_'));
    setCode(await file.text());
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const d = await deploy.run();
    if (!d) return;
    setResult(d);
    onDeployed?.(d);
    if (!fixedName) navigate(`/functions/${enc(d.name)}`);
  };
  return (
    <form class="card form" onSubmit={submit} aria-label={fixedName ? `Deploy a new version of ${fixedName}` : 'Deploy a function'}>
      <h2>{fixedName ? 'Deploy a new version' : 'Deploy a function'}</h2>
      {fixedName ? null : (
        <div class="field">
          <label for="deploy-name">Name</label>
          <input id="deploy-name" required pattern="[a-z][a-z0-9-]{0,62}" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="my-function" />
        </div>
      )}
      <div class="field">
        <label for="deploy-file">Upload a module (.ts, .js)</label>
        <input id="deploy-file" type="file" accept=".ts,.js,.mjs,.mts,.tsx,.jsx" onChange={onFile} />
      </div>
      <div class="field">
        <label for="deploy-code">
          Module source <span class="muted">({fileName})</span>
        </label>
        <textarea id="deploy-code" required rows={12} spellcheck={false} class="mono" value={code} onInput={(e) => setCode((e.target as HTMLTextAreaElement).value)} />
      </div>
      <div class="row">
        <div class="field">
          <label for="deploy-memory">Memory (MB)</label>
          <input id="deploy-memory" type="number" min={16} max={8192} value={memory} placeholder="keep" onInput={(e) => setMemory((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="deploy-timeout">Timeout (ms)</label>
          <input id="deploy-timeout" type="number" min={1} value={timeout} placeholder="keep" onInput={(e) => setTimeoutMs((e.target as HTMLInputElement).value)} />
        </div>
      </div>
      <button type="submit" class="primary" disabled={deploy.busy}>
        {deploy.busy ? 'Deploying…' : 'Deploy'}
      </button>
      <ProblemBox error={deploy.error} onDismiss={deploy.clear} />
      {result ? (
        <p class="ok-text" role="status">
          {`Deployed ${result.name} version ${result.version.version}${result.created ? '' : ' (unchanged: the same code and settings)'}${result.warnings?.length ? ` · ${result.warnings.join('; ')}` : ''}`}
        </p>
      ) : null}
    </form>
  );
}
