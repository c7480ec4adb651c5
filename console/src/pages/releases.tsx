/**
 * Versions and aliases: point an alias at a version or split it between two by weight
 * (PUT …/aliases/{alias}), roll it back to what it pointed at before (POST …/rollback),
 * remove it. The next request follows the change.
 */
import { useState } from 'preact/hooks';
import { api, enc } from '../api.ts';
import { Card, ProblemBox, useAction } from '../components/ui.tsx';
import { ACTIONS, EmptyRow, TableHead, hideSm } from '../components/table.tsx';
import { num, time } from '../format.ts';
import type { Alias, AliasRoute, FunctionDetail } from '../types.ts';

function routesText(routes: readonly AliasRoute[] | null): string {
  if (!routes) return '–';
  return routes.map((r) => (routes.length === 1 ? `version ${r.version}` : `${r.version}=${r.weight}%`)).join(' · ');
}

export function Releases({ fn, onChange }: { fn: FunctionDetail; onChange: () => void }) {
  const versions = [...fn.versions].sort((a, b) => b.version - a.version);
  const latest = versions[0]?.version ?? 1;
  const [alias, setAlias] = useState('live');
  const [first, setFirst] = useState(String(latest));
  const [second, setSecond] = useState('');
  const [weight, setWeight] = useState('100');
  const [notice, setNotice] = useState('');
  const act = useAction(async (what: () => Promise<string>) => {
    const text = await what();
    setNotice(text);
    onChange();
  });
  const save = (e: Event) => {
    e.preventDefault();
    const w = Number(weight);
    const routes: AliasRoute[] =
      second === '' || w >= 100 ? [{ version: Number(first), weight: 100 }] : [{ version: Number(first), weight: w }, { version: Number(second), weight: 100 - w }];
    void act.run(async () => {
      const a = await api<Alias>(`/functions/${enc(fn.name)}/aliases/${enc(alias.trim())}`, { method: 'PUT', json: { routes } });
      return `${a.name} → ${routesText(a.routes)}`;
    });
  };
  const rollback = (a: Alias) =>
    act.run(async () => {
      const r = await api<Alias>(`/functions/${enc(fn.name)}/rollback`, { method: 'POST', json: { alias: a.name } });
      return `${r.name} rolled back → ${routesText(r.routes)}`;
    });
  const remove = (a: Alias) =>
    act.run(async () => {
      await api(`/functions/${enc(fn.name)}/aliases/${enc(a.name)}`, { method: 'DELETE' });
      return `${a.name} removed`;
    });
  const edit = (a: Alias) => {
    setAlias(a.name);
    setFirst(String(a.routes[0]?.version ?? latest));
    setSecond(a.routes[1] ? String(a.routes[1].version) : '');
    setWeight(String(a.routes[0]?.weight ?? 100));
    document.getElementById('alias-name')?.focus();
  };
  const options = versions.map((v) => (
    <option key={v.version} value={String(v.version)}>
      {v.version}
    </option>
  ));
  return (
    <div id="releases" class="wide">
      <Card title="Versions & aliases" wide>
        <div class="two">
          <div class="table-wrap">
            <table class="table" aria-label="Versions">
              <TableHead columns={['Version', 'Deployed', 'Memory', hideSm('Code')]} />
              <tbody>
                {versions.map((v) => (
                  <tr key={v.version}>
                    <th scope="row">
                      {v.version}
                      {v.version === fn.currentVersion ? <span class="badge run"> latest</span> : null}
                    </th>
                    <td>{time(v.createdAt)}</td>
                    <td>{v.config.memoryMb} MB</td>
                    <td class="hide-sm">{num(v.codeBytes)} B</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div>
            <table class="table" aria-label="Aliases" id="aliases-table">
              <TableHead columns={['Alias', 'Routes to', hideSm('Before'), ACTIONS]} />
              <tbody>
                <EmptyRow when={fn.aliases.length === 0} columns={4}>No aliases: calls go to the latest version.</EmptyRow>
                {fn.aliases.map((a) => (
                  <tr key={a.name} data-alias={a.name}>
                    <th scope="row">{a.name}</th>
                    <td class="routes">{routesText(a.routes)}</td>
                    <td class="hide-sm muted">{routesText(a.previous)}</td>
                    <td class="actions-cell">
                      <button type="button" class="small" onClick={() => edit(a)}>
                        Edit
                      </button>
                      <button type="button" class="small" disabled={!a.previous || act.busy} onClick={() => void rollback(a)} aria-label={`Roll back ${a.name}`}>
                        Roll back
                      </button>
                      <button type="button" class="small danger" disabled={act.busy} onClick={() => void remove(a)} aria-label={`Remove ${a.name}`}>
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <form class="form inline-form" onSubmit={save} aria-label="Set an alias">
              <div class="field">
                <label for="alias-name">Alias</label>
                <input id="alias-name" required pattern="[A-Za-z][A-Za-z0-9_-]*" value={alias} onInput={(e) => setAlias((e.target as HTMLInputElement).value)} />
              </div>
              <div class="field">
                <label for="alias-v1">Version</label>
                <select id="alias-v1" value={first} onChange={(e) => setFirst((e.target as HTMLSelectElement).value)}>
                  {options}
                </select>
              </div>
              <div class="field">
                <label for="alias-weight">Weight %</label>
                <input id="alias-weight" type="number" min={1} max={100} required value={weight} onInput={(e) => setWeight((e.target as HTMLInputElement).value)} />
              </div>
              <div class="field">
                <label for="alias-v2">Split with</label>
                <select id="alias-v2" value={second} onChange={(e) => setSecond((e.target as HTMLSelectElement).value)}>
                  <option value="">(no split)</option>
                  {options}
                </select>
              </div>
              <button type="submit" class="primary" disabled={act.busy}>
                Save alias
              </button>
            </form>
            <p class="muted small-text">
              A split sends each request to one of the two versions by its weight; the second gets the rest ({second === '' ? '–' : `${Math.max(0, 100 - Number(weight))}%`}).
            </p>
          </div>
        </div>
        <ProblemBox error={act.error} onDismiss={act.clear} />
        {notice && !act.error ? (
          <p class="ok-text" role="status">
            {notice}
          </p>
        ) : null}
      </Card>
    </div>
  );
}
