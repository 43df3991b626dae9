import type { GradedCase, SubmissionGrade } from './grade-format.ts';

// Where a student's points went, by the socket_utils.py function they are charged to: each item's
// lost points are shared among its charged failures by weight, so the figures add up to the total
// lost, and a case excused in favour of a more basic one appears only there.

export interface LostByFunction {
  readonly blame: string;
  readonly points: number;
  readonly tasks: readonly string[];
  readonly cases: readonly { id: string; title: string; detail?: string | undefined }[];
}

export function lostPointsByFunction(grade: Pick<SubmissionGrade, 'tasks' | 'cases'>): LostByFunction[] {
  const byId = new Map(grade.cases.map((c) => [c.id, c]));
  const groups = new Map<string, { points: number; tasks: Set<string>; cases: Map<string, GradedCase> }>();
  // An item with no case of its own that ran (the client checks of a hand-in whose socket_utils.py
  // does not import) goes to the one cause every charged case names, when there is exactly one.
  const blames = new Set(grade.cases.filter((c) => c.verdict !== 'PASSED' && !c.excusedBy).map((c) => c.blame ?? 'not attributed'));
  const soleBlame = blames.size === 1 ? [...blames][0] : undefined;
  for (const task of grade.tasks) {
    for (const item of task.items) {
      const lost = item.points - item.earned;
      const charged = item.cases.filter((c) => !c.excused && c.credit < 1);
      const weight = charged.reduce((s, c) => s + c.weight * (1 - c.credit), 0);
      if (lost > 0 && item.cases.length === 0 && soleBlame && soleBlame !== 'not attributed') {
        const group = groups.get(soleBlame) ?? { points: 0, tasks: new Set<string>(), cases: new Map() };
        group.points += lost;
        group.tasks.add(task.id);
        groups.set(soleBlame, group);
        continue;
      }
      if (lost <= 0 || weight === 0) continue;
      for (const ref of charged) {
        const graded = byId.get(ref.id);
        const blame = graded?.blame ?? 'not attributed';
        const group = groups.get(blame) ?? { points: 0, tasks: new Set<string>(), cases: new Map() };
        group.points += (lost * ref.weight * (1 - ref.credit)) / weight;
        group.tasks.add(task.id);
        if (graded) group.cases.set(graded.id, graded);
        groups.set(blame, group);
      }
    }
  }
  return [...groups.entries()]
    .map(([blame, g]) => ({
      blame,
      points: Math.round(g.points * 100) / 100,
      tasks: [...g.tasks],
      cases: [...g.cases.values()].map((c) => ({ id: c.id, title: c.title, detail: c.detail })),
    }))
    .sort((a, b) => b.points - a.points || a.blame.localeCompare(b.blame));
}
