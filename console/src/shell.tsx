/** The frame around every page: navigation (a menu on a phone), log out, and the page the path names. */
import { useState } from 'preact/hooks';
import { href, match, useLocation } from './router.ts';
import { Overview } from './pages/overview.tsx';
import { FunctionList } from './pages/functions.tsx';
import { FunctionPage } from './pages/function.tsx';
import { InvocationPage } from './pages/invocation.tsx';
import { AsyncPage } from './pages/async.tsx';
import { TopicsPage } from './pages/topics.tsx';
import { WorkflowList, WorkflowPage } from './pages/workflows.tsx';
import { ExecutionPage } from './pages/execution.tsx';
import { UsagePage } from './pages/usage.tsx';
import { AlertsPage } from './pages/alerts.tsx';
import { Page } from './components/ui.tsx';

const NAV = [
  ['/', 'Overview'],
  ['/functions', 'Functions'],
  ['/async', 'Async & dead letters'],
  ['/topics', 'Topics & triggers'],
  ['/workflows', 'Workflows'],
  ['/usage', 'Usage & cost'],
  ['/alerts', 'Alerts'],
] as const;

function route(path: string) {
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <Overview />;
  if (path === '/functions') return <FunctionList />;
  if ((m = match('/functions/:name', path))) return <FunctionPage key={m.name} name={m.name} />;
  if ((m = match('/invocations/:id', path))) return <InvocationPage key={m.id} id={m.id} />;
  if (path === '/async') return <AsyncPage />;
  if (path === '/topics') return <TopicsPage />;
  if (path === '/workflows') return <WorkflowList />;
  if ((m = match('/workflows/:name', path))) return <WorkflowPage key={m.name} name={m.name} />;
  if ((m = match('/executions/:id', path))) return <ExecutionPage key={m.id} id={m.id} />;
  if (path === '/usage') return <UsagePage />;
  if (path === '/alerts') return <AlertsPage />;
  return (
    <Page title="Not found">
      <p>
        The console has no page at <code>{path}</code>. <a href={href('/')}>Overview</a>
      </p>
    </Page>
  );
}

export function Shell({ onLogout }: { onLogout: () => void }) {
  const { path } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const active = (p: string) => (p === '/' ? path === '/' : path === p || path.startsWith(p + '/') || (p === '/workflows' && path.startsWith('/executions/')) || (p === '/functions' && path.startsWith('/invocations/')));
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('/')}>
          Nimbus
        </a>
        <button type="button" class="menu-toggle" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <nav id="nav" class={menuOpen ? 'open' : ''} aria-label="Console">
          <ul>
            {NAV.map(([p, label]) => (
              <li key={p}>
                <a href={href(p)} aria-current={active(p) ? 'page' : undefined} onClick={() => setMenuOpen(false)}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="logout" onClick={onLogout}>
          Log out
        </button>
      </header>
      <main id="main">{route(path)}</main>
    </div>
  );
}
