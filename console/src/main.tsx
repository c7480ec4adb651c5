/** The console's entry: log in with the API token, then the pages, routed in the browser. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { whenUnauthorized } from './api.ts';
import { Shell } from './shell.tsx';
import { Login } from './pages/login.tsx';
import { interceptLinks } from './router.ts';
import { clearToken, getToken } from './session.ts';

function App() {
  const [token, setTokenState] = useState(getToken());
  useEffect(() => whenUnauthorized(() => setTokenState(null)), []);
  if (!token) return <Login onLogin={(t) => setTokenState(t)} />;
  return (
    <Shell
      onLogout={() => {
        clearToken();
        setTokenState(null);
      }}
    />
  );
}

interceptLinks();
render(<App />, document.getElementById('app')!);
