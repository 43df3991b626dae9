import type { CaseOutcome } from './rubric-score.ts';

// A defect is charged once, to the case that shows it most simply. A case that failed (or was
// skipped) while a more basic case it needs had already failed is not charged again: it becomes
// SKIPPED "depends on …", and scoring leaves it out (rubric-score.ts). The prerequisites come from
// the scenario files (`depends`: run only after; `assumes`: needs that behaviour too) and, for the
// client half, from the driver's checks.

/** Every case's prerequisites: the cases whose failure explains this one's. */
export type Prerequisites = ReadonlyMap<string, readonly string[]>;

const CHARGEABLE = new Set(['FAILED', 'ERROR', 'SKIPPED']);

export function chargeOnce(outcomes: readonly CaseOutcome[], prerequisites: Prerequisites): CaseOutcome[] {
  const byId = new Map(outcomes.map((o) => [o.id, o]));
  const roots = new Map<string, readonly string[]>();

  /** The charged cases a case's failure is attributed to; empty when it is charged itself (or passed). */
  const rootsOf = (id: string, visiting: Set<string>): readonly string[] => {
    const known = roots.get(id);
    if (known) return known;
    const outcome = byId.get(id);
    if (!outcome || !CHARGEABLE.has(outcome.verdict) || visiting.has(id)) return [];
    visiting.add(id);
    const found = new Set<string>();
    for (const need of prerequisites.get(id) ?? []) {
      const prerequisite = byId.get(need);
      if (!prerequisite || !isCharged(prerequisite, visiting)) continue;
      const further = rootsOf(need, visiting);
      for (const root of further.length > 0 ? further : [need]) found.add(root);
    }
    visiting.delete(id);
    const result = [...found].sort();
    roots.set(id, result);
    return result;
  };

  /** A case that ran and failed (FAILED or ERROR), or one excused in its turn by such a case. */
  const isCharged = (o: CaseOutcome, visiting: Set<string>): boolean =>
    o.verdict === 'FAILED' || o.verdict === 'ERROR' || (o.verdict === 'SKIPPED' && rootsOf(o.id, visiting).length > 0);

  return outcomes.map((o) => {
    const excusedBy = rootsOf(o.id, new Set());
    if (excusedBy.length === 0) return o;
    const own = o.verdict === 'SKIPPED' ? 'not run' : `own result ${o.verdict}${o.detail ? `: ${o.detail}` : ''}`;
    return {
      ...o,
      verdict: 'SKIPPED',
      excusedBy,
      detail: `depends on ${excusedBy.join(', ')}, which failed and is charged there (${own})`,
    };
  });
}
