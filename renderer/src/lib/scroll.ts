/**
 * Scrolling the lab page to a part of it (the timeline when a run starts, the step text from the run
 * bar) so that the part's top sits just below the sticky run bar, which stays in view. Smooth only when
 * the student has not asked the system for reduced motion.
 */

/** Room left between the bar and the part scrolled to, in CSS pixels. */
const GAP = 8;

/**
 * Scrolls so `target`'s top is just below `bar` (null: no bar). With `ifHidden`, leaves the page alone
 * when that top is already in view, in the upper half of the viewport below the bar.
 */
export function scrollBelowBar(target: Element, bar: Element | null, { ifHidden = false }: { ifHidden?: boolean } = {}): void {
  const covered = bar ? bar.getBoundingClientRect().height : 0;
  const top = target.getBoundingClientRect().top;
  if (ifHidden && top >= covered && top <= window.innerHeight / 2) return;
  const reduced = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  window.scrollTo({ top: Math.max(0, window.scrollY + top - covered - GAP), behavior: reduced ? 'auto' : 'smooth' });
  if (reduced) return;
  // A smooth scroll goes to the place measured when it began; what the page laid out meanwhile (a new
  // run's panels, on a slow machine) can move the part away from it. Where it ended, put it right.
  window.addEventListener(
    'scrollend',
    () => {
      const drift = target.getBoundingClientRect().top - covered - GAP;
      if (Math.abs(drift) > 1 && window.scrollY + drift >= 0) window.scrollTo({ top: window.scrollY + drift, behavior: 'auto' });
    },
    { once: true },
  );
}
