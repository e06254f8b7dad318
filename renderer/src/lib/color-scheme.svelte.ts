/**
 * The system's colour scheme as reactive state. CSS follows `prefers-color-scheme` by itself; a canvas
 * does not, so its painter reads `version` in its repaint effect and re-reads the theme's colours when
 * the scheme changes.
 */
class ColorScheme {
  #version = $state(0);
  #dark = $state(false);

  constructor() {
    if (typeof globalThis.matchMedia !== 'function') return;
    const query = globalThis.matchMedia('(prefers-color-scheme: dark)');
    this.#dark = query.matches;
    query.addEventListener('change', (event) => {
      this.#dark = event.matches;
      this.#version++;
    });
  }

  /** Bumped on every change of scheme. */
  get version(): number {
    return this.#version;
  }

  get dark(): boolean {
    return this.#dark;
  }
}

export const colorScheme = new ColorScheme();
