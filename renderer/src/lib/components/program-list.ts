/**
 * What the Programs panel lists: the lab's own files apart from IPC Lab's library, each named so that
 * two files called the same (a lab's `programs/matchmaker.ts` and the library's
 * `main/runtime/rpc/matchmaker.ts`) never look alike. Plain logic, unit-tested under Node.
 */
import type { ProgramSource } from '../../../../main/contract/lab-model.js';

/** A file as its tab shows it: `dir` is the folder part needed to tell it apart ('' when the name alone does). */
export interface ListedProgram {
  program: ProgramSource;
  /** The folders shown before the name, ending in '/', or ''. */
  dir: string;
  name: string;
  /** The current scenario starts it. */
  started: boolean;
}

export interface ProgramGroups {
  /** The lab's own files: the programs the current scenario starts first (in its order), then the rest by path. */
  lab: ListedProgram[];
  /** IPC Lab's library, in the order lab.md lists it (the order the lab's author means it to be read). */
  library: ListedProgram[];
}

/**
 * For each path, the shortest tail of it (whole folders, at least the file name) that no other path
 * ends with: `programs/matchmaker.ts` and `main/runtime/rpc/matchmaker.ts` become `programs/matchmaker.ts`
 * and `rpc/matchmaker.ts`; a name used once stays bare. A path that is itself the tail of another
 * (`checks.ts` beside `programs/checks.ts`) is shown whole, which tells them apart too.
 */
export function distinctTails(paths: readonly string[]): Map<string, string> {
  const split = paths.map((path) => path.split('/'));
  const tails = new Map<string, string>();
  for (const [i, parts] of split.entries()) {
    let length = 1;
    const clashes = (n: number) => split.some((other, j) => j !== i && tail(other, n) === tail(parts, n));
    while (length < parts.length && clashes(length)) length++;
    tails.set(paths[i]!, tail(parts, length));
  }
  return tails;
}

function tail(parts: readonly string[], length: number): string {
  return parts.slice(-length).join('/');
}

/** The panel's two groups, named with `distinctTails` over both (a tab's label must not repeat another's, whichever group it is in). */
export function groupPrograms(programs: readonly ProgramSource[], startedPaths: readonly string[]): ProgramGroups {
  const tails = distinctTails(programs.map((p) => p.path));
  const listed = (program: ProgramSource): ListedProgram => {
    const shown = tails.get(program.path) ?? program.path;
    const cut = shown.lastIndexOf('/') + 1;
    return { program, dir: shown.slice(0, cut), name: shown.slice(cut), started: startedPaths.includes(program.path) };
  };
  const rank = (path: string) => {
    const i = startedPaths.indexOf(path);
    return i === -1 ? startedPaths.length : i;
  };
  const lab = programs
    .filter((p) => p.origin === 'lab')
    .sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path))
    .map(listed);
  const library = programs.filter((p) => p.origin === 'library').map(listed);
  return { lab, library };
}
