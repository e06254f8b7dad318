/**
 * Hash routing, so a reload (or Electron's file:// URL) keeps the student's place:
 *   #/                          the catalogue
 *   #/lab/<labId>/<stepId>      a step of a lab (#/lab/<labId> opens its first step)
 */
export type Route = { page: 'catalogue' } | { page: 'lab'; labId: string; stepId: string | null } | { page: 'unknown'; hash: string };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/' || path === '') return { page: 'catalogue' };
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'lab' && parts[1] && parts.length <= 3) return { page: 'lab', labId: parts[1], stepId: parts[2] ?? null };
  return { page: 'unknown', hash };
}

export function labHref(labId: string, stepId?: string): string {
  return stepId ? `#/lab/${encodeURIComponent(labId)}/${encodeURIComponent(stepId)}` : `#/lab/${encodeURIComponent(labId)}`;
}

export class Router {
  #route = $state<Route>(parseHash(window.location.hash));

  constructor() {
    window.addEventListener('hashchange', () => {
      this.#route = parseHash(window.location.hash);
    });
  }

  get route(): Route {
    return this.#route;
  }

  /** Changes the URL without adding a history entry (e.g. #/lab/x → #/lab/x/first-step). */
  replace(hash: string): void {
    history.replaceState(null, '', hash);
    this.#route = parseHash(hash);
  }
}
