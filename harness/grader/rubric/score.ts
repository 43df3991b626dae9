import picomatch from 'picomatch';
import { creditOf, type CaseRef, type CaseVerdict, type Rubric } from './format.ts';

// Scoring is a pure function of the rubric and the verdicts, so a grade can be recomputed (and
// audited) from results.json alone, and the same inputs always give the same points.

/** One graded case: a harness scenario or a client-driver check, reduced to what scoring needs. */
export interface CaseOutcome {
  readonly id: string;
  readonly title: string;
  readonly verdict: CaseVerdict;
  readonly requirements: readonly string[];
  readonly hint?: string | undefined;
  readonly detail?: string | undefined;
  readonly expected?: unknown;
  readonly actual?: unknown;
  /** What the student's server printed while the case ran (CaseResult.serverOutput). */
  readonly serverOutput?: readonly string[] | undefined;
  readonly source: 'server' | 'client';
  /** The student function a failure is charged to (blame.ts). */
  readonly blame?: string | undefined;
  /** Set when the case is not charged: the failed cases that are charged for it (charge-once.ts). */
  readonly excusedBy?: readonly string[] | undefined;
  /** Set when this failure is charged at the cases that depend on it: it scores as a pass (charge-once.ts). */
  readonly chargedAt?: readonly string[] | undefined;
}

export interface ScoredCase {
  readonly id: string;
  readonly weight: number;
  readonly credit: number;
  readonly outcome: CaseOutcome;
  /** Left out of the item's share: another case is charged for its failure. */
  readonly excused: boolean;
}

export interface ItemScore {
  readonly name: string;
  readonly points: number;
  readonly earned: number;
  readonly cases: readonly ScoredCase[];
  /** Patterns that matched no case at all: a rubric that drifted from the suite. */
  readonly unmatched: readonly string[];
}

export interface TaskScore {
  readonly id: string;
  readonly title: string;
  readonly points: number;
  readonly earned: number;
  readonly items: readonly ItemScore[];
}

export interface UngradedScore {
  readonly id: string;
  readonly title: string;
  readonly cases: readonly CaseOutcome[];
  readonly passed: number;
}

export interface Score {
  readonly tasks: readonly TaskScore[];
  readonly ungraded: readonly UngradedScore[];
  readonly total: number;
  readonly max: number;
}

/** Points are kept to two decimals so that CSV, HTML and Gradescope show the same figure. */
export function roundPoints(value: number): number {
  return Math.round(value * 100 + Number.EPSILON) / 100;
}

const refOf = (ref: CaseRef): { match: string; weight: number } =>
  typeof ref === 'string' ? { match: ref, weight: 1 } : { match: ref.match, weight: ref.weight };

const matchers = new Map<string, (id: string) => boolean>();

/** Compiled once per pattern: scoring runs many times per grade (charge-once.ts tries its choices). */
export function caseMatcher(pattern: string): (id: string) => boolean {
  let matcher = matchers.get(pattern);
  if (!matcher) {
    matcher = picomatch(pattern, { dot: true });
    matchers.set(pattern, matcher);
  }
  return matcher;
}

/** Whether a case with this verdict costs points: a task item counts it and credits it below a pass. */
export function costsPoints(rubric: Rubric): (c: { id: string; verdict: CaseVerdict }) => boolean {
  const graded = rubric.tasks.flatMap((t) => t.items.flatMap((i) => i.cases.map((ref) => caseMatcher(typeof ref === 'string' ? ref : ref.match))));
  const full = creditOf(rubric, 'PASSED');
  return (c) => creditOf(rubric, c.verdict) < full && graded.some((matches) => matches(c.id));
}

/**
 * `outcomes` lists every case the submission was graded on, including cases that could not run
 * (a server that never started has all its cases as ERROR), so a missing case is always a rubric
 * problem, never a silent zero.
 */
export function scoreSubmission(rubric: Rubric, outcomes: readonly CaseOutcome[]): Score {
  return scorePlan(rubric, outcomes.map((o) => o.id))(outcomes);
}

/**
 * Which outcome (by position) each rubric item counts, with its weight, worked out once for a list
 * of case ids; the returned function scores outcomes in that same order. charge-once.ts scores one
 * submission many times (its choices), and matching the globs is most of a scoring's cost.
 */
export function scorePlan(rubric: Rubric, ids: readonly string[]): (outcomes: readonly CaseOutcome[]) => Score {
  const itemPlans = rubric.tasks.map((task) =>
    task.items.map((item) => {
      const picks: { index: number; weight: number }[] = [];
      const taken = new Set<string>();
      const unmatched: string[] = [];
      for (const raw of item.cases) {
        const ref = refOf(raw);
        const isMatch = caseMatcher(ref.match);
        const matched = ids.map((id, index) => ({ id, index })).filter((o) => isMatch(o.id));
        if (matched.length === 0) unmatched.push(ref.match);
        for (const { id, index } of matched) {
          // A case listed twice in one item (an id and a glob) counts once, with its first weight.
          if (taken.has(id)) continue;
          taken.add(id);
          picks.push({ index, weight: ref.weight });
        }
      }
      return { picks, unmatched };
    }),
  );
  const ungradedPlans = rubric.ungraded.map((group) => {
    const matchers = group.cases.map(caseMatcher);
    return ids.map((id, index) => ({ id, index })).filter((o) => matchers.some((m) => m(o.id))).map((o) => o.index);
  });
  return (outcomes) => {
    const byId = new Map(outcomes.map((o) => [o.id, o]));
    const tasks = rubric.tasks.map((task, t): TaskScore => {
      const items = task.items.map((item, i): ItemScore => {
        const plan = itemPlans[t]?.[i] ?? { picks: [], unmatched: [] };
        const cases: ScoredCase[] = plan.picks.map(({ index, weight }) => {
          const outcome = outcomes[index] as CaseOutcome;
          const excused = (outcome.excusedBy?.length ?? 0) > 0;
          const credit = creditOf(rubric, outcome.chargedAt?.length ? 'PASSED' : outcome.verdict);
          return { id: outcome.id, weight, credit, outcome, excused };
        });
        const share = itemShare(rubric, cases, byId);
        return { name: item.name, points: item.points, earned: roundPoints(item.points * share), cases, unmatched: plan.unmatched };
      });
      return {
        id: task.id,
        title: task.title,
        points: task.points,
        earned: roundPoints(items.reduce((s, i) => s + i.earned, 0)),
        items,
      };
    });
    const ungraded = rubric.ungraded.map((group, g): UngradedScore => {
      const cases = (ungradedPlans[g] ?? []).map((index) => outcomes[index] as CaseOutcome);
      return { id: group.id, title: group.title, cases, passed: cases.filter((c) => c.verdict === 'PASSED').length };
    });
    return {
      tasks,
      ungraded,
      total: roundPoints(tasks.reduce((s, t) => s + t.earned, 0)),
      max: roundPoints(tasks.reduce((s, t) => s + t.points, 0)),
    };
  };
}

/**
 * The weighted share of an item's cases that passed, leaving out the excused ones (charged
 * elsewhere). When every case is excused, nothing here could be judged on its own: the item takes
 * the credit of the cases charged for them, so a defect that stops a whole feature still costs it.
 */
function itemShare(rubric: Rubric, cases: readonly ScoredCase[], byId: ReadonlyMap<string, CaseOutcome>): number {
  const judged = cases.filter((c) => !c.excused);
  if (judged.length > 0) {
    const weights = judged.reduce((s, c) => s + c.weight, 0);
    return weights === 0 ? 0 : judged.reduce((s, c) => s + c.weight * c.credit, 0) / weights;
  }
  const roots = [...new Set(cases.flatMap((c) => c.outcome.excusedBy ?? []))];
  if (roots.length === 0) return 0;
  return roots.reduce((s, id) => s + creditOf(rubric, byId.get(id)?.verdict ?? 'FAILED'), 0) / roots.length;
}

/** Rubric patterns that match none of the given case ids (checked once per run, before grading). */
export function unmatchedPatterns(rubric: Rubric, ids: readonly string[]): string[] {
  const out: string[] = [];
  for (const task of rubric.tasks) {
    for (const item of task.items) {
      for (const raw of item.cases) {
        const { match } = refOf(raw);
        const isMatch = caseMatcher(match);
        if (!ids.some(isMatch)) out.push(`${task.id} / ${item.name}: ${match}`);
      }
    }
  }
  return out;
}
