import path from 'node:path';
import { runGrade } from '../../grader/grade/grade-run.ts';
import { pointsText } from '../../grader/outputs/points-text.ts';
import pc from 'picocolors';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { studentFolder, studentPython } from './student-folder.ts';
import type { TestFlags } from './test.ts';

// `instanet test --submission DIR`: one hand-in graded exactly as `instanet grade` grades a class
// (the same runGrade: sandbox, both halves, charge-once, rubric), then the points printed per task
// and function. Nothing is cached: a student runs this to see the effect of the edit just made.

/** Where the grade goes unless --out says: one folder per hand-in, overwritten by each run. */
export function submissionOut(flags: TestFlags, name: string): string {
  return path.resolve(flags.out ?? path.join('reports', `submission-${name.replace(/[^A-Za-z0-9._-]+/g, '_') || 'submission'}`));
}

export async function runSubmissionTest(flags: TestFlags, given: string): Promise<ExitCode> {
  const folder = await studentFolder(given, '--submission');
  // The grader would fail every case without python3; say so before it starts, as --client does.
  await studentPython();
  const out = submissionOut(flags, folder.name);
  const stream = process.stderr;
  const write = (text: string) => (flags.json ? process.stderr : process.stdout).write(text);
  write(`Grading ${folder.given} as \`instanet grade\` would (both halves, sandboxed); this takes a minute…\n`);
  const run = await runGrade({
    submissions: folder.dir,
    sources: [folder.zip ? { kind: 'zip', name: folder.name, path: folder.zip } : { kind: 'folder', name: folder.name, path: path.resolve(given) }],
    ...(flags.rubric ? { rubricFile: flags.rubric } : {}),
    ...(flags.starter ? { starter: flags.starter } : {}),
    out,
    jobs: 1,
    sandbox: 'auto',
    force: true,
    // A terminal gets the grader's live bar (which case runs); a pipe gets nothing until the points.
    progress: stream.isTTY ? 'bar' : 'none',
    stream,
  });
  const grade = run.grades[0];
  if (!grade) throw new Error('the grader returned no grade for the submission');
  const color = !flags.json && process.stdout.isTTY === true && pc.isColorSupported;
  write(`\n${pointsText(grade, { color })}`);
  const report = path.join(out, grade.folder, 'report.html');
  write(`\nreport: ${path.relative(process.cwd(), report) || report} (every case with expected, actual and hint; suite.html beside it has every byte)\n`);
  if (flags.json) process.stdout.write(`${JSON.stringify(grade, null, 2)}\n`);
  return grade.status === 'ok' && grade.total >= grade.max ? EXIT.ok : EXIT.failed;
}
