import pc from 'picocolors';
import { statusText, type GradedCase, type SubmissionGrade } from './grade-format.ts';
import { lostPointsByFunction } from './lost-points.ts';

// A grade as a student reads it in a terminal before handing in: the points of every task and item,
// under an item that lost points the cases charged for it (with the socket_utils.py function at
// fault, and the hint), then the lost points grouped by function. Same figures as report.html.

type Colors = ReturnType<typeof pc.createColors>;

const fmt = (n: number) => String(Math.round(n * 100) / 100);

function chargedLines(c: GradedCase, colors: Colors): string[] {
  const head = `      ${colors.red('✘')} ${c.id} ${c.title}${c.blame ? ` — charged to ${colors.bold(c.blame)}` : ''}`;
  const lines = [head];
  const why = c.actual ?? c.detail;
  if (why) lines.push(`          ${colors.dim(why.replace(/\s+/g, ' ').slice(0, 300))}`);
  if (c.hint) lines.push(`          ${colors.yellow(`hint: ${c.hint.replace(/\s+/g, ' ')}`)}`);
  return lines;
}

export function pointsText(grade: SubmissionGrade, options: { color?: boolean } = {}): string {
  const c = pc.createColors(options.color ?? false);
  const byId = new Map(grade.cases.map((g) => [g.id, g]));
  const lines: string[] = [];
  const total = `${fmt(grade.total)}/${fmt(grade.max)}`;
  lines.push(`${c.bold(`${grade.rubric} — ${grade.name}: ${grade.total >= grade.max ? c.green(total) : c.red(total)}`)}${grade.status === 'ok' ? '' : `  status ${c.red(statusText(grade))}`}`);
  for (const task of grade.tasks) {
    lines.push('');
    const taskPoints = `${fmt(task.earned)}/${fmt(task.points)}`;
    lines.push(`  ${c.bold(task.title)}  ${task.earned >= task.points ? c.green(taskPoints) : c.red(taskPoints)}`);
    for (const item of task.items) {
      const full = item.earned >= item.points;
      lines.push(`    ${full ? c.green('✔') : c.red('✘')} ${fmt(item.earned)}/${fmt(item.points)}  ${item.name}`);
      if (full) continue;
      for (const ref of item.cases) {
        const graded = byId.get(ref.id);
        if (!graded || ref.excused || ref.credit >= 1) continue;
        lines.push(...chargedLines(graded, c));
      }
      const excused = item.cases.filter((r) => r.excused).map((r) => r.id);
      if (excused.length) lines.push(`      ${c.dim(`not charged again (the same defect is charged above or elsewhere): ${excused.join(', ')}`)}`);
    }
  }
  const lost = lostPointsByFunction(grade);
  if (lost.length) {
    lines.push('', `  ${c.bold('Where the points went')}`);
    for (const l of lost) {
      lines.push(`    ${c.red(`−${fmt(l.points)}`.padEnd(6))} ${c.bold(l.blame)}  ${c.dim(`(${l.tasks.join(', ')})`)} ${l.cases.map((x) => x.id).join(', ')}`);
    }
  }
  if (grade.imageFraming) lines.push('', `  ${c.dim(grade.imageFraming)}`);
  for (const incident of grade.incidents) lines.push(`  ${c.yellow(`note: ${incident}`)}`);
  return `${lines.join('\n')}\n`;
}
