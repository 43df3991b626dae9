import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { COMMANDS } from '../cli/commands.ts';
import type { ArgKind } from '../cli/command-spec.ts';
import { COMMAND_NAMES } from './builtins.ts';
import { tokenize } from './tokenize.ts';

// Tab completion: command names first, then per argument what its kind calls for: usernames the
// shell has seen, or paths for files.

export type Completer = (line: string) => [string[], string];

function completePath(fragment: string, cwd: string): string[] {
  const dirPart = fragment.includes('/') ? fragment.slice(0, fragment.lastIndexOf('/') + 1) : '';
  const namePart = fragment.slice(dirPart.length);
  try {
    const dir = path.resolve(cwd, dirPart || '.');
    return readdirSync(dir)
      .filter((entry) => entry.startsWith(namePart) && (namePart.startsWith('.') || !entry.startsWith('.')))
      .map((entry) => {
        const isDir = (() => {
          try {
            return statSync(path.join(dir, entry)).isDirectory();
          } catch {
            return false;
          }
        })();
        return `${dirPart}${entry}${isDir ? '/' : ''}`;
      })
      .sort();
  } catch {
    return [];
  }
}

export function createCompleter(knownUsers: () => Iterable<string>, cwd: string): Completer {
  return (line) => {
    const tokens = tokenize(line, { allowOpenQuote: true });
    const endsWithSpace = line.length > 0 && /\s$/.test(line);
    const current = endsWithSpace || tokens.length === 0 ? '' : tokens.at(-1)!.value;
    const index = endsWithSpace ? tokens.length : tokens.length - 1;
    if (index <= 0) {
      const hits = COMMAND_NAMES.filter((c) => c.startsWith(current));
      return [hits.map((h) => `${h} `), current];
    }
    const name = tokens[0]!.value;
    const spec = COMMANDS.find((c) => c.name === name);
    let kind: ArgKind | undefined;
    if (current.startsWith('--') && spec) {
      const options = [...(spec.options ?? []).map((o) => `--${o.name}`), '--json'];
      return [options.filter((o) => o.startsWith(current)).map((o) => `${o} `), current];
    }
    if (name === 'help' && index === 1) {
      return [COMMAND_NAMES.filter((c) => c.startsWith(current)), current];
    }
    if (name === 'watch' && index === 1) kind = 'user';
    const previous = tokens[index - 1]?.value;
    const option = spec?.options?.find((o) => `--${o.name}` === previous);
    if (option) kind = option.kind;
    else if (spec) {
      const positional = tokens.slice(1, index).filter((t) => !t.value.startsWith('--')).length;
      kind = spec.args[positional]?.kind;
    }
    if (kind === 'user') {
      const hits = [...new Set(knownUsers())].filter((u) => u.startsWith(current)).sort();
      return [hits.map((h) => `${h} `), current];
    }
    if (kind === 'file' || kind === 'dir') return [completePath(current, cwd), current];
    return [[], current];
  };
}
