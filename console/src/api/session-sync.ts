import { SESSION_CHANGED, type Session } from './client';

/**
 * The browser has one session cookie for all its console tabs: a tab that signs in replaces it for
 * every tab, and a tab that signs out clears it for every tab. The tab that did it says so here, and
 * the others hear it (ADR 0011): over a BroadcastChannel of the origin, the same profile's tabs only.
 */
const NAME = 'pillar-loop:session';

let channel: BroadcastChannel | null = null;
const channelOf = () => (channel ??= typeof BroadcastChannel === 'function' ? new BroadcastChannel(NAME) : null);

/** This tab signed in (the session it got) or out (null): tells the browser's other tabs. */
export function announceSession(session: Session | null): void {
  channelOf()?.postMessage(session);
}

/**
 * Calls `listener` with the session the browser has now whenever this tab learns it changed under it:
 * told by another tab, or found by the live stream ({@link SESSION_CHANGED}). Returns the unsubscribe.
 */
export function onSessionChanged(listener: (session: Session | null) => void): () => void {
  const fromStream = (e: Event) => listener((e as CustomEvent<Session | null>).detail);
  const fromTab = (m: MessageEvent<Session | null>) => listener(m.data);
  window.addEventListener(SESSION_CHANGED, fromStream);
  channelOf()?.addEventListener('message', fromTab);
  return () => {
    window.removeEventListener(SESSION_CHANGED, fromStream);
    channelOf()?.removeEventListener('message', fromTab);
  };
}
