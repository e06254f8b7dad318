/**
 * A lab's version: SHA-256 (hex) over its files, so a run and a report say which text, programs and
 * checks they ran with. Each file contributes its path relative to the lab folder (library files: to
 * the project) and the SHA-256 of its bytes, in path order; dot files are left out.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export function labDigest(labDir: string, libraryFiles: { path: string; file: string }[]): string {
  const entries: [string, string][] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) entries.push([relative(labDir, path), fileHash(path)]);
    }
  };
  walk(labDir);
  for (const { path, file } of libraryFiles) entries.push([`library:${path}`, fileHash(file)]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const digest = createHash('sha256');
  for (const [path, hash] of entries) digest.update(`${path}\0${hash}\n`);
  return digest.digest('hex');
}

function fileHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
