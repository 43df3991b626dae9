import type { Hint } from '../scenarios/format.ts';
import type { FailureKind } from './report-format.ts';

const KEY: Partial<Record<FailureKind, 'timeout' | 'closed' | 'mismatch' | 'schema' | 'files'>> = {
  timeout: 'timeout',
  closed: 'closed',
  mismatch: 'mismatch',
  schema: 'schema',
  files: 'files',
};

/** The advice for a failure: the failing step's hint first, then the scenario's; per kind, then default. */
export function pickHint(kind: FailureKind, ...hints: (Hint | undefined)[]): string | undefined {
  for (const hint of hints) {
    if (hint === undefined) continue;
    if (typeof hint === 'string') return hint;
    const key = KEY[kind];
    const text = (key ? hint[key] : undefined) ?? hint.default;
    if (text) return text;
  }
  return undefined;
}
