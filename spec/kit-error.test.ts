import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KitError } from './kit-error.ts';

// One error family for the whole kit: every error class derives from KitError (a stable code, its
// own name). The exit-code table's test walks the codes; this one walks the classes.

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SOURCES = ['spec', 'reference', 'harness'];
// Control flow, not a failure: carries an exit code out of commander's callbacks and is caught at once.
const OUTSIDE_THE_FAMILY = new Set(['reference/client/cli/client-command.ts:CliExit']);

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    // Test helpers are test code: their failures never reach a user.
    if (entry.isDirectory()) return entry.name === 'test-support' || entry.name === 'testing' ? [] : sourceFiles(rel);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [rel] : [];
  });
}

describe('the kit error family', () => {
  it('no class outside the family extends Error directly', () => {
    const direct = SOURCES.flatMap(sourceFiles).flatMap((file) =>
      [...readFileSync(path.join(ROOT, file), 'utf8').matchAll(/class (\w+)(?:<[^>]*>)? extends Error\b/g)].map((m) => `${file}:${m[1]}`),
    );
    expect(direct.filter((d) => !OUTSIDE_THE_FAMILY.has(d))).toEqual(['spec/kit-error.ts:KitError']);
  });

  it('names every error after its class', () => {
    class ExampleFailure extends KitError {
      readonly code = 'INSTANET_ERR_EXAMPLE';
    }
    const error = new ExampleFailure('it broke');
    expect(error.name).toBe('ExampleFailure');
    expect(String(error)).toBe('ExampleFailure: it broke');
    expect(error).toBeInstanceOf(Error);
  });
});
