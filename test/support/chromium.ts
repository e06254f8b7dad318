/**
 * Debian's Chromium, as the end-to-end tests and the benchmark launch it (Playwright's own browser
 * download cannot work on these machines). CHROMIUM_PATH overrides the executable. Without the
 * background-networking flags Chromium keeps dialling out on a machine with no network.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
