import { accessSync, constants } from 'node:fs';
import path from 'node:path';

// A PATH lookup, as a shell would do it for a bare command name. (The `which` package in the tree is
// an untyped 2.x pulled in by cross-spawn; this is the five lines of it that are needed.)

/** The full path of `name` on PATH, or undefined when no directory of PATH holds an executable `name`. */
export function findExecutable(name: string, searchPath = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
