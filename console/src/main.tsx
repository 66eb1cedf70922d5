import { StrictMode, useCallback, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Link, Route, Router, Switch, useLocation } from 'wouter';
import { ApiError, SESSION_ENDED, api, type Session } from './api/client';
import { announceSession, onSessionChanged } from './api/session-sync';
import { setStreamSession } from './api/stream';
import { InboxCount } from './components/inbox-count';
import { NotFound } from './components/not-found';
import { Admin } from './pages/admin';
import { Inbox } from './pages/inbox';
import { IncidentPage } from './pages/incident';
import { Incidents } from './pages/incidents';
import { Overview } from './pages/overview';
import { PatternPage } from './pages/pattern';
import { Policies, PolicyPage } from './pages/policies';
import { RecoveryPage } from './pages/recovery';
import { Review } from './pages/review';
import { Routing } from './pages/routing';
import { RunPage, Runs } from './pages/runs';
import { WorkOrderPage, WorkOrders } from './pages/work-orders';
import './style.css';

const rank: Record<Session['role'], number> = { agent: -1, viewer: 0, operator: 1, admin: 2 };

/** The key goes to POST /auth/session in the body and is forgotten; the server answers with an HttpOnly cookie. */
function SignIn({ onSignedIn, notice }: { onSignedIn: (s: Session) => void; notice: string | null }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main className="signin" id="main">
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
            setError(
              err instanceof ApiError && err.status === 401
                ? 'That API key is unknown or revoked.'
                : err instanceof Error
                  ? err.message
                  : String(err),
            );
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>pillar-loop console</h1>
        {notice && (
          <p className="muted" role="status" data-testid="signin-notice">
            {notice}
          </p>
        )}
        <label>
          API key
          <input
            type="password"
            autoComplete="off"
            required
            value={key}
            onChange={(e) => setKey(e.target.value)}
            autoFocus
          />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

const NAV: Array<[string, string, 'viewer' | 'admin']> = [
  ['/', 'Overview', 'viewer'],
  ['/inbox', 'Inbox', 'viewer'],
  ['/incidents', 'Incidents', 'viewer'],
  ['/review', 'Review', 'viewer'],
  ['/runs', 'Runs', 'viewer'],
  ['/work-orders', 'Work orders', 'viewer'],
  ['/policies', 'Policies', 'viewer'],
  ['/routing', 'Routing', 'viewer'],
  ['/admin', 'Admin', 'admin'],
];

function Shell({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const [location, navigate] = useLocation();
  const canOperate = rank[session.role] >= rank.operator;
  const isAdmin = rank[session.role] >= rank.admin;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <strong className="brand">pillar-loop</strong>
        <nav aria-label="main">
          {NAV.filter(([, , need]) => need === 'viewer' || isAdmin).map(([to, label]) => {
            const active = to === '/' ? location === '/' : location.startsWith(to);
            return (
              <Link key={to} href={to} className={active ? 'active' : ''} aria-current={active ? 'page' : undefined}>
                {label}
                {to === '/inbox' && <InboxCount />}
              </Link>
            );
          })}
        </nav>
        <span className="who small">
          {session.keyName} · {session.role}
          {session.platformAdmin ? ' (platform)' : ''}
        </span>
        <button
          className="signout"
          onClick={async () => {
            await api('/auth/session', { method: 'DELETE' }).catch(() => undefined);
            onSignedOut();
            navigate('/');
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Switch>
          <Route path="/">{() => <Overview />}</Route>
          <Route path="/inbox">{() => <Inbox canOperate={canOperate} />}</Route>
          <Route path="/incidents">{() => <Incidents />}</Route>
          <Route path="/incidents/:id">{(p) => <IncidentPage key={p.id} id={p.id} canOperate={canOperate} />}</Route>
          <Route path="/review">{() => <Review canOperate={canOperate} />}</Route>
          <Route path="/recoveries/:id">{(p) => <RecoveryPage key={p.id} id={p.id} />}</Route>
          <Route path="/runs">{() => <Runs />}</Route>
          <Route path="/runs/:id">{(p) => <RunPage key={p.id} id={p.id} canOperate={canOperate} />}</Route>
          <Route path="/work-orders">{() => <WorkOrders />}</Route>
          <Route path="/work-orders/:id">{(p) => <WorkOrderPage key={p.id} id={p.id} canOperate={canOperate} />}</Route>
          <Route path="/policies">{() => <Policies isAdmin={isAdmin} />}</Route>
          <Route path="/policies/:id">{(p) => <PolicyPage key={p.id} id={p.id} isAdmin={isAdmin} />}</Route>
          <Route path="/routing">{() => <Routing />}</Route>
          <Route path="/routing/:agentId">{(p) => <Routing agentId={decodeURIComponent(p.agentId)} />}</Route>
          <Route path="/patterns/:id">{(p) => <PatternPage key={p.id} id={p.id} />}</Route>
          {/* Hidden for non-admins; the API refuses their admin calls anyway. */}
          {isAdmin && <Route path="/admin">{() => <Admin platformAdmin={session.platformAdmin} />}</Route>}
          <Route>{() => <NotFound what="page" />}</Route>
        </Switch>
      </main>
    </>
  );
}

/** The same signed-in key: the pages this tab shows are still right for it. */
const sameKey = (a: Session, b: Session) =>
  a.tenantId === b.tenantId && a.keyName === b.keyName && a.role === b.role && a.platformAdmin === b.platformAdmin;

/**
 * Another tab signed in with another key (maybe another tenant): the browser's cookie is that key's
 * now, so this tab shows none of its old pages and calls nothing until asked to continue as the new one.
 */
function SignedInElsewhere({ mine, now, onContinue }: { mine: Session; now: Session; onContinue: () => void }) {
  return (
    <main className="signin" id="main">
      <section className="card form" aria-labelledby="elsewhere-title">
        <h1 id="elsewhere-title">Signed in elsewhere</h1>
        <p role="status" data-testid="switched-notice">
          Another tab of this browser signed in as <strong>{now.keyName}</strong> of tenant{' '}
          <strong>{now.tenantId}</strong>. A browser has one session for all its tabs, so this tab no longer shows{' '}
          {mine.keyName} of tenant {mine.tenantId}.
        </p>
        <button type="button" onClick={onContinue}>
          Continue as {now.keyName} ({now.tenantId})
        </button>
      </section>
    </main>
  );
}

function App() {
  const [session, setSessionState] = useState<Session | null | undefined>(undefined);
  /** The session the browser's cookie has now, when another tab replaced this tab's with another key's. */
  const [elsewhere, setElsewhere] = useState<Session | null>(null);
  /** The session this tab shows (read by the listeners below). */
  const shown = useRef<Session | null | undefined>(undefined);
  // The live stream is the signed-in session's (its tabs share one; api/stream.ts).
  const setSession = useCallback((s: Session | null | undefined) => {
    shown.current = s;
    setElsewhere(null);
    setStreamSession(s ?? null);
    setSessionState(s);
  }, []);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(() => {
    setSession(undefined);
    api<Session>('/auth/session').then(setSession, () => setSession(null));
  }, [setSession]);
  useEffect(() => {
    load();
    // Back to the sign-in form, on the same page (unless nothing is shown yet).
    const end = (why: string) => {
      if (!shown.current) return;
      setNotice(why);
      setSession(null);
    };
    // A 401 from any call once signed in.
    const ended = () => end('Your session ended: sign in again.');
    window.addEventListener(SESSION_ENDED, ended);
    // Another tab signed in or out, or the stream found another session's cookie (ADR 0011).
    const offChanged = onSessionChanged((now) => {
      const mine = shown.current;
      if (!mine) return; // the sign-in form shows nobody's data
      if (!now) end('Signed out in another tab: sign in again.');
      else if (sameKey(mine, now))
        setSession(now); // a new session of the same key: carry on with it
      else {
        setStreamSession(null); // its events are not this tab's
        setElsewhere(now);
      }
    });
    return () => {
      window.removeEventListener(SESSION_ENDED, ended);
      offChanged();
    };
  }, [load, setSession]);
  if (session === undefined) return <p className="muted">Loading…</p>;
  if (session === null)
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          setNotice(null);
          setSession(s);
          announceSession(s);
        }}
      />
    );
  if (elsewhere) return <SignedInElsewhere mine={session} now={elsewhere} onContinue={load} />;
  return (
    <Shell
      session={session}
      onSignedOut={() => {
        setSession(null);
        announceSession(null);
      }}
    />
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Router base="/console">
      <App />
    </Router>
  </StrictMode>,
);
