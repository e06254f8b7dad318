/**
 * Where the built app lives, from source (tsx), from dist/ (node) and from inside Electron's app.asar.
 */
import { join } from 'node:path';
import { findProjectRoot } from '../project-root.js';

/** The folder holding IPC Lab's package.json. */
export const projectRoot = findProjectRoot;

/** The built UI (`vite build` output). */
export function rendererDir(): string {
  return join(findProjectRoot(), 'dist', 'renderer');
}

/** The compiled Electron main process, which `package.json#main` also names. */
export function electronMainFile(): string {
  return join(findProjectRoot(), 'dist', 'main', 'hosts', 'electron', 'main.js');
}
