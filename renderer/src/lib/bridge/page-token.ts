/**
 * The browser host's access token, as this tab holds it (see main/contract/browser-access.ts for why it
 * is never a cookie). The printed URL brings it in the fragment, `#token=...`, possibly followed by a
 * route (`#token=...#/lab/x/y`, the printed URL with a page's address appended); it is kept in
 * sessionStorage (this origin and tab only, kept across reloads) and taken out of the address bar before
 * the router reads the fragment as a route, which stays.
 */
import { TOKEN_FRAGMENT_KEY, TOKEN_STORAGE_KEY } from '../../../../main/contract/browser-access.js';

const FRAGMENT = new RegExp(`^#${TOKEN_FRAGMENT_KEY}=([A-Za-z0-9_-]+)(#.*)?$`);

/** Moves a `#token=...` fragment into `storage` and out of the URL (no history entry), keeping a route after it. */
export function adoptTokenFromUrl(location: Location, history: History, storage: Storage): void {
  const match = FRAGMENT.exec(location.hash);
  if (!match) return;
  storage.setItem(TOKEN_STORAGE_KEY, match[1]!);
  history.replaceState(history.state, '', `${location.pathname}${location.search}${match[2] ?? ''}`);
}

/** The token this tab was given, or null when it was opened without the printed URL. */
export function pageToken(storage: Storage): string | null {
  return storage.getItem(TOKEN_STORAGE_KEY);
}

// On import: main.ts imports this module before the router, which reads the fragment when it loads.
// And on every fragment change (opening the printed URL in a tab already on the page changes only the
// fragment, no reload): registered before the router's listener, so that one reads the route alone.
// (Electron's window, on file://, has no such fragment: nothing happens there.)
if (typeof window !== 'undefined') {
  const adopt = () => adoptTokenFromUrl(window.location, window.history, window.sessionStorage);
  adopt();
  window.addEventListener('hashchange', adopt);
}
