/**
 * PDF on the command line: an HTML report printed by headless Chromium (`--print-to-pdf`). The desktop
 * app prints with Electron's printToPDF and browser mode with the page's own print; this is for the CLI.
 *
 * Nothing is left behind on any path: Chromium runs in its own process group with a fresh profile in a
 * temporary folder, and on success, failure or timeout the group is killed if anything of it is still
 * there and the profile is removed. The PDF is written to a temporary file beside the output and renamed
 * into place only once it is complete and starts with `%PDF-`, so the output is never half-written.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where Chromium or Chrome usually is, in the order they are tried after CHROMIUM_PATH. */
export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

export const PDF_TIMEOUT_MS = 60_000;

/** The Chromium to print with: CHROMIUM_PATH when it names an executable file, else the first of CHROMIUM_CANDIDATES there is; null when none is. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = env.CHROMIUM_PATH ? [env.CHROMIUM_PATH, ...CHROMIUM_CANDIDATES] : CHROMIUM_CANDIDATES;
  for (const path of candidates) if (isExecutableFile(path)) return path;
  return null;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface HtmlToPdfOptions {
  /** Kill Chromium and fail after this long (default PDF_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Where the temporary Chromium profile goes (default os.tmpdir()). */
  tempDir?: string;
}

const WRITE_FAILURES: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of its path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
};

/** How much of Chromium's stderr is kept for an error message (its last lines are what matter). */
const STDERR_KEEP_BYTES = 16 * 1024;

/** Prints `htmlFile` to `pdfFile` with the Chromium at `chromium`; rejects with a message naming what failed and the fix. */
export async function htmlFileToPdf(htmlFile: string, pdfFile: string, chromium: string, options: HtmlToPdfOptions = {}): Promise<void> {
  const html = resolve(htmlFile);
  const pdf = resolve(pdfFile);
  const timeoutMs = options.timeoutMs ?? PDF_TIMEOUT_MS;
  const partial = join(dirname(pdf), `.${basename(pdf)}.${process.pid}-${randomBytes(4).toString('hex')}.partial`);
  try {
    accessSync(html, constants.R_OK);
  } catch (error) {
    throw new Error(
      `Cannot read the HTML report ${html}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Write the HTML first, then print it.`,
      { cause: error },
    );
  }

  // Claim the temporary file first: an output folder that cannot be written fails here, in our words,
  // rather than as whatever Chromium makes of it.
  try {
    await (await open(partial, 'wx')).close();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = (code && WRITE_FAILURES[code]) ?? (error as Error).message;
    throw new Error(`Cannot write the PDF to ${pdf}: ${why}${code ? ` (${code})` : ''}. Choose an output path in a folder you can write to (--out FILE).`, {
      cause: error,
    });
  }

  let profile: string | null = null;
  try {
    profile = await mkdtemp(join(options.tempDir ?? tmpdir(), 'ipc-lab-chromium-'));
    await runChromium(chromium, chromiumArgs(html, partial, profile), profile, timeoutMs);
    await checkPdf(partial, pdf);
    await rename(partial, pdf);
  } finally {
    await rm(partial, { force: true });
    if (profile) await rm(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

function chromiumArgs(html: string, output: string, profile: string): string[] {
  const args = ['--headless', '--disable-gpu'];
  // Chromium refuses to start as root with its sandbox on ("Running as root without --no-sandbox is not
  // supported"): only then is the sandbox turned off. The page is our own report, which runs no script.
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  args.push(
    '--no-pdf-header-footer',
    `--print-to-pdf=${output}`,
    `--user-data-dir=${profile}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    // A small /dev/shm (containers) makes Chromium crash; and it dials out at start unless told not to.
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    pathToFileURL(html).href,
  );
  return args;
}

/**
 * Chromium's environment: HOME and the XDG folders inside the temporary profile, so that what it writes
 * outside --user-data-dir (its crash database, certificate store, caches) goes there too and is removed
 * with it, instead of into the user's home.
 */
function chromiumEnv(profile: string): NodeJS.ProcessEnv {
  return { ...process.env, HOME: profile, XDG_CONFIG_HOME: join(profile, 'config'), XDG_CACHE_HOME: join(profile, 'cache') };
}

function runChromium(chromium: string, args: string[], profile: string, timeoutMs: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // detached: its own process group, so the browser's helpers (zygote, renderer, GPU) can be ended with it.
    const child = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: chromiumEnv(profile) });
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolvePromise();
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP_BYTES);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    // Spawning failed (no such file, not executable): no process ran, so there is nothing to end.
    child.on('error', (error) => {
      const errno = (error as NodeJS.ErrnoException).code ?? 'error';
      settle(
        new Error(
          `Could not start Chromium at ${chromium}: ${errno}. Install Chromium (on Debian: apt-get install chromium) or set CHROMIUM_PATH to its executable.`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      // 'close' comes once every process holding our stderr pipe has ended, which its helpers inherit;
      // whatever of the browser is still there goes now (normally nothing: it ends its helpers itself).
      killGroup(child.pid);
      killMentioning(profile);
      if (timedOut) {
        const limit = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
        settle(
          new Error(
            `Chromium did not finish printing the PDF within ${limit} and was stopped. Print the HTML report from a browser instead.${lastLines(stderr)}`,
          ),
        );
      } else if (code !== 0) {
        const how = signal ? `was ended by ${signal}` : `exited with code ${code}`;
        settle(new Error(`Chromium (${chromium}) ${how} while printing the PDF.${lastLines(stderr)}`));
      } else settle(null);
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is gone already.
  }
}

/**
 * Linux: ends any process whose command line names this conversion's temporary profile. Chromium's
 * crash handler runs in a session of its own (outside the process group) and names the profile in its
 * --database; it normally ends with the browser, this makes sure.
 */
function killMentioning(profile: string): void {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return; // no /proc (macOS): the process group is all there is to end
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(profile)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // It ended while we looked, or it is not ours to read.
    }
  }
}

async function checkPdf(partial: string, pdf: string): Promise<void> {
  const file = await open(partial, 'r');
  try {
    const head = Buffer.alloc(5);
    const { bytesRead } = await file.read(head, 0, 5, 0);
    if (bytesRead < 5 || head.toString('latin1') !== '%PDF-')
      throw new Error(
        `Chromium exited without writing a PDF for ${pdf} (${bytesRead === 0 ? 'the file is empty' : 'the file does not start with %PDF-'}). Print the HTML report from a browser instead.`,
      );
  } finally {
    await file.close();
  }
}

function lastLines(stderr: string, count = 8): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
  if (lines.length === 0) return '';
  return ` Its last messages:\n  ${lines.slice(-count).join('\n  ')}`;
}
