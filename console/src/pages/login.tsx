/** Log in with the API token (`nimbus token` prints it): checked against the API, then kept for this tab only. */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ProblemBox } from '../components/ui.tsx';
import { setToken } from '../session.ts';

export function Login({ onLogin }: { onLogin: (token: string) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const token = value.trim();
    setBusy(true);
    setError(null);
    try {
      // Any authorised read proves the token.
      await api('/functions', { token });
      setToken(token);
      setValue('');
      onLogin(token);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit} class="card" aria-labelledby="login-title">
        <h1 id="login-title">Nimbus console</h1>
        <p class="muted">
          Log in with the platform's API token: <code>nimbus token</code> prints it. It is kept in this tab only (session storage) and sent as a bearer token.
        </p>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" autoFocus required value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        <button type="submit" class="primary" disabled={busy || value.trim() === ''}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
        <ProblemBox error={error} />
      </form>
    </main>
  );
}
