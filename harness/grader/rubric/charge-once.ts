import type { Rubric } from './format.ts';
import { scorePlan, type CaseOutcome, type Score } from './score.ts';

// A defect is charged once, to the case that shows it most simply. A case that failed (or was
// skipped) while a more basic case it needs had already failed is not charged again: it becomes
// SKIPPED "depends on …", and scoring leaves it out (score.ts). The prerequisites come from
// the scenario files (`depends`: run only after; `assumes`: needs that behaviour too) and, for the
// client half, from the driver's checks.

/** Every case's prerequisites: the cases whose failure explains this one's. */
export type Prerequisites = ReadonlyMap<string, readonly string[]>;

const CHARGEABLE = new Set(['FAILED', 'ERROR', 'SKIPPED']);

/**
 * `chargedAtDependents`: failed cases whose failure is charged to the cases that depend on them
 * instead (chargeAndScore's choice): they excuse nothing and score in their item as if passed.
 */
export function chargeOnce(outcomes: readonly CaseOutcome[], prerequisites: Prerequisites, chargedAtDependents: ReadonlySet<string> = new Set()): CaseOutcome[] {
  const byId = new Map(outcomes.map((o) => [o.id, o]));
  const failing = (id: string) => CHARGEABLE.has(byId.get(id)?.verdict ?? 'PASSED');
  const roots = new Map<string, readonly string[]>();

  /** The charged cases a case's failure is attributed to; empty when it is charged itself (or passed). */
  const rootsOf = (id: string, visiting: Set<string>): readonly string[] => {
    const known = roots.get(id);
    if (known) return known;
    const outcome = byId.get(id);
    if (!outcome || !CHARGEABLE.has(outcome.verdict) || visiting.has(id) || chargedAtDependents.has(id)) return [];
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
    !chargedAtDependents.has(o.id) && (o.verdict === 'FAILED' || o.verdict === 'ERROR' || (o.verdict === 'SKIPPED' && rootsOf(o.id, visiting).length > 0));

  // A defect charged at the cases that depend on it is still that function's defect: the dependents
  // charged for it name the function their prerequisite names (a concurrency case failed only
  // because receive_json_message reads once is receive_json_message's point, not create_server_socket's).
  const inherited = new Map<string, string>();
  for (const id of chargedAtDependents) {
    const blame = byId.get(id)?.blame;
    if (!blame || !failing(id)) continue;
    for (const dependent of dependentsOf(id, prerequisites)) if (failing(dependent) && !inherited.has(dependent)) inherited.set(dependent, blame);
  }

  return outcomes.map((given) => {
    const blame = inherited.get(given.id);
    const o = blame ? { ...given, blame } : given;
    const excusedBy = rootsOf(o.id, new Set());
    if (excusedBy.length === 0 && chargedAtDependents.has(o.id) && failing(o.id)) {
      // Scored as if it had passed: its defect is charged at the cases that depend on it.
      const dependents = dependentsOf(o.id, prerequisites).filter(failing);
      return {
        ...o,
        verdict: 'SKIPPED',
        chargedAt: dependents,
        detail: `charged to ${dependents.join(', ')}, which depend on it and cost more there (own result ${o.verdict}${o.detail ? `: ${o.detail}` : ''})`,
      };
    }
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

function dependentsOf(id: string, prerequisites: Prerequisites): string[] {
  return [...prerequisites.entries()].filter(([, needs]) => needs.includes(id)).map(([dependent]) => dependent).sort();
}

/**
 * Past this many failed prerequisites the choice is made greedily (2^N scorings otherwise, about
 * 0.3 ms each): a hand-in failing that many basic cases has lost most points anyway.
 */
export const EXHAUSTIVE_ROOTS = 8;

/**
 * Charge-once, scored, such that failing one more case never raises the total. Excusing the
 * dependents of a failed case forgives what they would cost; when that is more than the failed
 * case costs itself, failing it on purpose would pay (a layer with a defect 95.5, the same defect
 * plus 3.3.2 failed on purpose 98). So each failed case that explains others is charged where the
 * defect costs more: at itself (its dependents excused) or at its dependents (itself scored as if it
 * had passed), and the grade is the lowest total over these choices: never more than the grade with
 * any of those failures undone. It is monotone: a choice for a verdict vector, plus "charge the newly
 * failed case at its dependents", scores exactly what that choice scored before the case failed
 * (a newly failed case that explains nothing only loses its own credit). The choices are tried exhaustively up to EXHAUSTIVE_ROOTS failed
 * prerequisites, greedily past that (where monotonicity is no longer guaranteed, only likely).
 */
export function chargeAndScore(rubric: Rubric, outcomes: readonly CaseOutcome[], prerequisites: Prerequisites): { outcomes: CaseOutcome[]; score: Score } {
  const score = scorePlan(rubric, outcomes.map((o) => o.id));
  const evaluate = (choice: ReadonlySet<string>) => {
    const charged = chargeOnce(outcomes, prerequisites, choice);
    return { outcomes: charged, score: score(charged) };
  };
  let best = evaluate(new Set());
  // No choice scores below charging every failure where it happened.
  const floor = score(outcomes).total;
  if (best.score.total <= floor) return best;
  const roots = failedPrerequisites(outcomes, prerequisites);
  const consider = (choice: ReadonlySet<string>) => {
    const tried = evaluate(choice);
    if (tried.score.total < best.score.total) best = tried;
    return best.score.total <= floor;
  };
  if (roots.length <= EXHAUSTIVE_ROOTS) {
    for (let mask = 1; mask < 1 << roots.length; mask++) {
      if (consider(new Set(roots.filter((_, i) => mask & (1 << i))))) break;
    }
    return best;
  }
  const choice = new Set<string>();
  for (let improved = true; improved; ) {
    improved = false;
    for (const root of roots.filter((r) => !choice.has(r))) {
      const before = best.score.total;
      const next = new Set([...choice, root]);
      consider(next);
      if (best.score.total < before) {
        choice.add(root);
        improved = true;
      }
    }
  }
  return best;
}

/** Failed cases with at least one failed (or skipped) case depending on them: where the choice matters. */
export function failedPrerequisites(outcomes: readonly CaseOutcome[], prerequisites: Prerequisites): string[] {
  const verdicts = new Map(outcomes.map((o) => [o.id, o.verdict]));
  const failed = (id: string) => CHARGEABLE.has(verdicts.get(id) ?? 'PASSED');
  const out = new Set<string>();
  for (const [dependent, needs] of prerequisites) {
    if (!failed(dependent)) continue;
    for (const need of needs) if (verdicts.get(need) === 'FAILED' || verdicts.get(need) === 'ERROR') out.add(need);
  }
  return [...out].sort();
}
