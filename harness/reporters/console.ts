import pc from 'picocolors';
import { requirement } from '../../spec/requirements.ts';
import type { LoadedScenario } from '../scenarios/loader.ts';
import type { CaseResult, RunReport, Verdict } from '../runner/report-format.ts';
import { coverageLine } from '../runner/requirement-coverage.ts';
import type { SecondLookSummary } from '../runner/second-look.ts';
import { notable, outcomeLine, tallyLine } from './text.ts';

// Console output in h2spec's shape: a tree of cases as they finish (grouped by section), then a
// recap of what failed with requirement, expected and actual, then the tally.

export interface ConsoleReporterOptions {
  write?: (text: string) => void;
  color?: boolean;
  /** Also print the log of every case, not only failing ones. */
  verbose?: boolean;
  /**
   * A terminal: one status line under the finished cases names the case running now and is
   * rewritten in place; elsewhere (CI logs, pipes) only plain lines. Default: stdout is a TTY,
   * when writing to stdout.
   */
  live?: boolean;
  /** Width of the live line (default the terminal's, else 100). */
  columns?: number;
}

const CLEAR_LINE = '\r\x1b[2K';

type Colors = ReturnType<typeof pc.createColors>;

/** Lines of a case's server output the terminal shows; the reports carry them all. */
const SERVER_LINES = 12;

const MARK: Record<Verdict, string> = {
  PASSED: '✔',
  FAILED: '✘',
  'NON-STRICT': '!',
  INFORMATIONAL: 'i',
  SKIPPED: '-',
  ERROR: '‼',
};

function paint(c: Colors, v: Verdict, text: string): string {
  switch (v) {
    case 'PASSED': return c.green(text);
    case 'FAILED': return c.red(text);
    case 'ERROR': return c.magenta(text);
    case 'NON-STRICT': return c.yellow(text);
    case 'INFORMATIONAL': return c.cyan(text);
    default: return c.dim(text);
  }
}

export class ConsoleReporter {
  readonly #write: (text: string) => void;
  readonly #c: Colors;
  readonly #verbose: boolean;
  readonly #live: boolean;
  readonly #columns: number;
  #group: number | undefined;
  #total = 0;
  #done = 0;
  #failed = 0;
  #status = false;

  constructor(options: ConsoleReporterOptions = {}) {
    this.#write = options.write ?? ((t) => process.stdout.write(t));
    this.#c = pc.createColors(options.color ?? pc.isColorSupported);
    this.#verbose = options.verbose ?? false;
    this.#live = options.live ?? (options.write === undefined && process.stdout.isTTY === true);
    this.#columns = options.columns ?? process.stdout.columns ?? 100;
  }

  /** The live line: which case runs now, how far the run is, how many failed so far. */
  caseStarted(s: LoadedScenario): void {
    if (!this.#live) return;
    const c = this.#c;
    const head = `[${this.#done + 1}/${this.#total}]${this.#failed ? ` ${this.#failed} failed ·` : ''} running `;
    const room = Math.max(10, this.#columns - head.length - 1);
    const what = `${s.id} ${s.title}`;
    this.#write(`${CLEAR_LINE}${c.dim(head)}${what.length > room ? `${what.slice(0, room - 1)}…` : what}`);
    this.#status = true;
  }

  /** Removes the live line (an interrupted run ends without finish()). */
  endLive(): void {
    this.#clearStatus();
  }

  #clearStatus(): void {
    if (!this.#status) return;
    this.#write(CLEAR_LINE);
    this.#status = false;
  }

  /** Any list of cases: the client half's checks are not scenarios, only their count is used. */
  start(cases: readonly { id: string }[], target: string): void {
    this.#total = cases.length;
    this.#write(`${this.#c.bold('InstaNet conformance')}: ${cases.length} case(s) against ${target}\n`);
  }

  onCase(r: CaseResult): void {
    this.#clearStatus();
    this.#done += 1;
    if (r.verdict === 'FAILED' || r.verdict === 'ERROR') this.#failed += 1;
    if (r.group !== this.#group) {
      this.#group = r.group;
      this.#write(`\n  ${this.#c.bold(`${r.group}. ${r.groupTitle}`)}\n`);
    }
    const c = this.#c;
    const progress = c.dim(`[${String(this.#done).padStart(String(this.#total).length)}/${this.#total}]`);
    const extra = r.verdict === 'PASSED' ? '' : ` ${paint(c, r.verdict, r.verdict)}`;
    this.#write(`    ${paint(c, r.verdict, MARK[r.verdict])} ${r.id} ${r.title}${extra} ${c.dim(`${r.durationMs} ms`)} ${progress}\n`);
    if (r.verdict === 'SKIPPED' && r.reason) this.#write(`        ${c.dim(r.reason)}\n`);
    if (this.#verbose) for (const line of r.log) this.#write(`        ${c.dim(line)}\n`);
  }

  /** The cases judged again after a timeout (harness/runner/second-look.ts), under the tree. */
  secondLook(summary: SecondLookSummary): void {
    if (summary.judged.length === 0) return;
    this.#clearStatus();
    const c = this.#c;
    this.#write(`\n  ${c.bold('Second look')} ${c.dim('(failed by a timeout, judged again alone on a fresh server; the second verdict stands)')}\n`);
    for (const j of summary.judged) this.#write(`    ${paint(c, j.second, MARK[j.second])} ${j.id} ${j.first} then ${paint(c, j.second, j.second)}\n`);
    if (summary.notRerun.length) this.#write(`    ${c.dim(`kept as first judged, once two re-runs in a row timed out again: ${summary.notRerun.join(', ')}`)}\n`);
  }

  finish(report: RunReport): void {
    this.#clearStatus();
    const c = this.#c;
    const problems = notable(report);
    if (problems.length) {
      this.#write(`\n${c.bold('Failures')}\n`);
      for (const r of problems) {
        this.#write(`\n  ${paint(c, r.verdict, `${r.id} ${r.title} (${r.verdict})`)}\n`);
        for (const id of r.requirements) this.#write(`    ${c.dim(`${id}: ${requirement(id).text}`)}\n`);
        if (r.failure) {
          this.#write(`    step:     ${r.failure.step}\n`);
          this.#write(`    expected: ${c.green(r.failure.expected)}\n`);
          this.#write(`    actual:   ${c.red(r.failure.actual)}\n`);
          for (const m of r.failure.mismatches.slice(0, 5)) this.#write(`      at ${m.path}: expected ${m.expected}, got ${m.actual}\n`);
        } else if (r.reason) this.#write(`    ${r.reason}\n`);
        if (r.serverOutput?.length) {
          // The server's own words next to Actual: often the real cause (a traceback, a decode error).
          const shown = r.serverOutput.slice(-SERVER_LINES);
          const left = r.serverOutput.length - shown.length;
          this.#write(`    server said:${left ? c.dim(` (last ${shown.length} of ${r.serverOutput.length} lines)`) : ''}\n`);
          for (const line of shown) this.#write(`      ${c.magenta(line)}\n`);
        }
        if (r.hint) this.#write(`    ${c.yellow(`hint: ${r.hint.replace(/\s+/g, ' ')}`)}\n`);
      }
    }
    for (const i of report.instances) {
      if (i.status === 'crashed' || i.status === 'not-started') {
        this.#write(`\n  ${c.red(`server ${i.status}`)} (cases ${i.cases[0]}…${i.cases[i.cases.length - 1]}): ${i.detail ?? ''}\n`);
        const err = i.stderr.trim().split('\n').slice(-5).join('\n      ');
        if (err) this.#write(`      ${c.dim(err)}\n`);
      }
    }
    this.#write(`\n${tallyLine(report)} (${(report.durationMs / 1000).toFixed(1)} s)\n`);
    if (report.requirements) this.#write(`${c.dim(coverageLine(report.requirements))}\n`);
    this.#write(`${report.ok ? c.green(outcomeLine(report)) : c.red(outcomeLine(report))}\n`);
  }
}
