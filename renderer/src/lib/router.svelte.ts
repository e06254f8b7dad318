/**
 * Hash routing, so a reload (or Electron's file:// URL) keeps the student's place, down to the run on
 * screen. The URLs are in `routes.ts`. The current route is one piece of module state: the Router the
 * app holds and the lab page (which moves the URL when a run starts) read and change the same one.
 */
import { parseHash, type Route } from './routes.js';

export { compareHref, labHref, parseHash, runHref, sameTarget, targetHref, LATEST, type Route, type RunTarget } from './routes.js';

let current = $state.raw<Route>(parseHash(window.location.hash));

window.addEventListener('hashchange', () => {
  current = parseHash(window.location.hash);
});

export function currentRoute(): Route {
  return current;
}

/** Goes to `hash` with a new history entry (Back returns to where the student was). */
export function navigate(hash: string): void {
  if (window.location.hash === hash) return;
  window.location.hash = hash; // hashchange sets `current`
}

/** Changes the URL without adding a history entry (e.g. #/lab/x → #/lab/x/first-step). */
export function replaceRoute(hash: string): void {
  history.replaceState(null, '', hash);
  current = parseHash(hash);
}

export class Router {
  get route(): Route {
    return current;
  }

  navigate(hash: string): void {
    navigate(hash);
  }

  replace(hash: string): void {
    replaceRoute(hash);
  }
}
