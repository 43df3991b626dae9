import { randomUUID } from 'node:crypto';
import type { RunReport, Tally } from './report-format.ts';
import { runOk } from './verdicts.ts';

// What every run report says about the run as a whole, whoever ran it (the sequential runner, the
// parallel one, the client half): its id and how it ended.

/** "2026-11-29T05-12-45-123Z-1a2b3c4d"; a tag ("client") sits before the random part. */
export function runIdOf(startedAt: Date, tag?: string): string {
  return `${startedAt.toISOString().replace(/[:.]/g, '-')}-${tag ? `${tag}-` : ''}${randomUUID().slice(0, 8)}`;
}

/** ok, the exit code (0, 1, or 130 when interrupted) and the interrupted mark, in the report's key order. */
export function runOutcome(t: Tally, strict: boolean, interrupted: boolean): Pick<RunReport, 'ok' | 'exitCode' | 'interrupted'> {
  const ok = runOk(t, strict);
  return {
    ok: ok && !interrupted,
    exitCode: interrupted ? 130 : ok ? 0 : 1,
    ...(interrupted ? { interrupted: true } : {}),
  };
}
