/**
 * Serving the built UI from one folder, and nothing outside it: the path is decoded, resolved, and both
 * the folder and the file are passed through realpath before the containment check, so neither `..`
 * (plain or %2f-encoded) nor a symlink can step out.
 */
import { realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type Lookup = { kind: 'file'; file: string; size: number; contentType: string } | { kind: 'not-built' } | { kind: 'outside' } | { kind: 'not-found' };

/** Maps a URL path (still percent-encoded, without the query) to a file inside `root`. */
export async function lookUpStatic(root: string, urlPath: string): Promise<Lookup> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    if (!(await stat(realRoot)).isDirectory()) return { kind: 'not-built' };
  } catch {
    return { kind: 'not-built' };
  }

  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { kind: 'not-found' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { kind: 'outside' };
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');

  const wanted = resolve(realRoot, relative);
  if (!isInside(realRoot, wanted)) return { kind: 'outside' };

  let realFile: string;
  try {
    realFile = await realpath(wanted);
  } catch {
    return { kind: 'not-found' };
  }
  if (!isInside(realRoot, realFile)) return { kind: 'outside' };

  const info = await stat(realFile).catch(() => undefined);
  if (!info?.isFile()) return { kind: 'not-found' };
  return { kind: 'file', file: realFile, size: info.size, contentType: contentTypeOf(realFile) };
}

function isInside(root: string, candidate: string): boolean {
  return candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}
