import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, api, type Session } from './api';
import { Link, navigate } from './ui';
import { Overview } from './pages/overview';
import { Incidents } from './pages/incidents';
import { IncidentPage } from './pages/incident';
import { Review } from './pages/review';
import { Runs } from './pages/runs';
import { WorkOrders } from './pages/work-orders';
import { Policies, PolicyPage } from './pages/policies';
import { Routing } from './pages/routing';
import { PatternPage } from './pages/pattern';
import { Admin } from './pages/admin';
import './style.css';

const rank = { viewer: 0, operator: 1, admin: 2 };

function usePath() {
  const read = () => location.pathname.replace(/^\/console/, '') || '/';
  const [path, setPath] = useState(read);
  useEffect(() => {
    const on = () => setPath(read());
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return path;
}

/** The key goes to POST /auth/session in the body and is forgotten; the server answers with an HttpOnly cookie. */
function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main className="signin">
      <form
        className="card form"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const session = await api<Session>('/auth/session', { method: 'POST', body: { apiKey: key } });
            setKey('');
            onSignedIn(session);
          } catch (err) {
            setError(err instanceof ApiError && err.status === 401 ? 'That API key is unknown or revoked.' : (err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>pillar-loop console</h1>
        <label>
          API key
          <input type="password" autoComplete="off" required value={key} onChange={(e) => setKey(e.target.value)} autoFocus />
        </label>
        <button type="submit" disabled={busy}>Sign in</button>
        {error && <p className="error" role="alert">{error}</p>}
      </form>
    </main>
  );
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const path = usePath();
  useEffect(() => {
    api<Session>('/auth/session').then(setSession, () => setSession(null));
  }, []);
  if (session === undefined) return <p className="muted">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={setSession} />;

  const canOperate = rank[session.role] >= rank.operator;
  const isAdmin = rank[session.role] >= rank.admin;
  const nav: [string, string][] = [
    ['/', 'Overview'], ['/incidents', 'Incidents'], ['/review', 'Review'], ['/runs', 'Runs'], ['/work-orders', 'Work orders'],
    ['/policies', 'Policies'], ['/routing', 'Routing'], ...(isAdmin ? ([['/admin', 'Admin']] as [string, string][]) : []),
  ];
  const seg = path.split('/').filter(Boolean);
  let page;
  if (seg.length === 0) page = <Overview />;
  else if (seg[0] === 'incidents' && seg[1]) page = <IncidentPage key={seg[1]} id={seg[1]} canOperate={canOperate} />;
  else if (seg[0] === 'incidents') page = <Incidents />;
  else if (seg[0] === 'review') page = <Review canOperate={canOperate} />;
  else if (seg[0] === 'runs') page = <Runs key={seg[1] ?? ''} id={seg[1]} canOperate={canOperate} />;
  else if (seg[0] === 'work-orders') page = <WorkOrders />;
  else if (seg[0] === 'policies' && seg[1]) page = <PolicyPage key={seg[1]} id={seg[1]} isAdmin={isAdmin} />;
  else if (seg[0] === 'policies') page = <Policies isAdmin={isAdmin} />;
  else if (seg[0] === 'routing') page = <Routing />;
  else if (seg[0] === 'patterns' && seg[1]) page = <PatternPage key={seg[1]} id={seg[1]} />;
  // Hidden for non-admins; the API refuses their admin calls anyway.
  else if (seg[0] === 'admin' && isAdmin) page = <Admin platformAdmin={session.platformAdmin} />;
  else page = <p className="error" role="alert">No such page.</p>;

  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <strong className="brand">pillar-loop</strong>
        <nav aria-label="main">
          {nav.map(([to, label]) => (
            <Link key={to} to={to} className={(to === '/' ? path === '/' : path.startsWith(to)) ? 'active' : ''}>{label}</Link>
          ))}
        </nav>
        <span className="who small">{session.keyName} · {session.role}{session.platformAdmin ? ' (platform)' : ''}</span>
        <button
          className="signout"
          onClick={async () => {
            await api('/auth/session', { method: 'DELETE' }).catch(() => undefined);
            setSession(null);
            navigate('/');
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>{page}</main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
