import pc from 'picocolors';
import { oneLine } from '../../base/safe-text.ts';
import { starterFlags, statusText, type GradedCase, type SubmissionGrade } from './grade-format.ts';
import { lostPointsByFunction } from './lost-points.ts';

// A grade as a student reads it in a terminal before handing in: the points of every task and item,
// under an item that lost points the cases charged for it (with the socket_utils.py function at
// fault, and the hint), then the lost points grouped by function. Same figures as report.html.

type Colors = ReturnType<typeof pc.createColors>;

const fmt = (n: number) => String(Math.round(n * 100) / 100);

function chargedLines(c: GradedCase, colors: Colors): string[] {
  const head = `      ${colors.red('✘')} ${c.id} ${oneLine(c.title)}${c.blame ? ` — charged to ${colors.bold(c.blame)}` : ''}`;
  const lines = [head];
  const why = c.actual ?? c.detail;
  if (why) lines.push(`          ${colors.dim(oneLine(why.replace(/\s+/g, ' ').slice(0, 300)))}`);
  if (c.hint) lines.push(`          ${colors.yellow(`hint: ${oneLine(c.hint.replace(/\s+/g, ' '))}`)}`);
  return lines;
}

// The name, a crash line, a server's reply and a hint quoting it are the student's: each goes through
// oneLine before the kit adds its own colour codes, so only the kit drives the terminal.
export function pointsText(grade: SubmissionGrade, options: { color?: boolean } = {}): string {
  const c = pc.createColors(options.color ?? false);
  const byId = new Map(grade.cases.map((g) => [g.id, g]));
  const lines: string[] = [];
  const total = `${fmt(grade.total)}/${fmt(grade.max)}`;
  lines.push(`${c.bold(`${grade.rubric} — ${oneLine(grade.name)}: ${grade.total >= grade.max ? c.green(total) : c.red(total)}`)}${grade.status === 'ok' ? '' : `  status ${c.red(oneLine(statusText(grade)))}`}`);
  // The grade rests on the starter's course files: say so first when the hand-in's differ.
  for (const flag of starterFlags(grade)) lines.push(`  ${c.yellow(`flagged: ${oneLine(flag)}`)}`);
  for (const task of grade.tasks) {
    lines.push('');
    const taskPoints = `${fmt(task.earned)}/${fmt(task.points)}`;
    lines.push(`  ${c.bold(task.title)}  ${task.earned >= task.points ? c.green(taskPoints) : c.red(taskPoints)}`);
    for (const item of task.items) {
      const full = item.earned >= item.points;
      lines.push(`    ${full ? c.green('✔') : c.red('✘')} ${fmt(item.earned)}/${fmt(item.points)}  ${item.name}`);
      if (full) continue;
      // Cases that could not run share one reason, given once in the status line above.
      const notRun: string[] = [];
      for (const ref of item.cases) {
        const graded = byId.get(ref.id);
        if (!graded || ref.excused || ref.credit >= 1) continue;
        if (graded.verdict === 'SKIPPED' && graded.detail?.startsWith('not run:')) notRun.push(graded.id);
        else lines.push(...chargedLines(graded, c));
      }
      if (notRun.length) {
        const blame = byId.get(notRun[0] as string)?.blame;
        lines.push(`      ${c.red('✘')} ${notRun.length} case(s) not run (see the status above)${blame ? ` — charged to ${c.bold(blame)}` : ''}`);
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
  for (const incident of grade.incidents) lines.push(`  ${c.yellow(`note: ${oneLine(incident)}`)}`);
  return `${lines.join('\n')}\n`;
}
