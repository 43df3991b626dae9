import type { CaseResult, RunReport, Verdict } from '../runner/report-format.ts';
import type { RequirementCoverage, RequirementStatus } from '../runner/report-format.ts';
import { coverageLine, REQUIREMENT_STATUS_LABEL } from '../runner/requirement-coverage.ts';
import { groups, notable, outcomeLine } from './text.ts';

// summary.md: short enough for a CI job summary ($GITHUB_STEP_SUMMARY), with what failed first and
// the full case list folded away.

const ICON: Record<Verdict, string> = {
  PASSED: '✅',
  FAILED: '❌',
  'NON-STRICT': '⚠️',
  INFORMATIONAL: 'ℹ️',
  SKIPPED: '⏭️',
  ERROR: '💥',
};

// Table cells: a pipe or newline would break the row.
const cell = (text: string, max = 300) => {
  const flat = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};
const code = (text: string, max = 300) => `\`${cell(text, max).replace(/`/g, "'")}\``;

const STATUS_ICON: Record<RequirementStatus, string> = {
  met: '✅',
  'not-met': '❌',
  'not-met-should': '⚠️',
  informational: 'ℹ️',
  'not-exercised': '⏭️',
  'no-scenario': '➖',
};

// Compact: one row per requirement, the cases inline; what is not met sorts to the top.
function requirementsBlock(rows: readonly RequirementCoverage[]): string[] {
  const order: RequirementStatus[] = ['not-met', 'not-met-should', 'informational', 'met', 'not-exercised', 'no-scenario'];
  const sorted = [...rows].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
  const out = [`<details><summary>Requirements: ${coverageLine(rows)}</summary>`, '', '| requirement | level | status | cases |', '|---|---|---|---|'];
  for (const r of sorted) {
    const cases = r.cases.map((c) => `${c.id} ${ICON[c.verdict]}`).join(', ');
    const more = r.unselected.length ? `${cases ? '; ' : ''}not run: ${r.unselected.join(', ')}` : '';
    out.push(`| ${r.id} | ${r.level} | ${STATUS_ICON[r.status]} ${REQUIREMENT_STATUS_LABEL[r.status]} | ${cell(`${cases}${more}`, 200) || '—'} |`);
  }
  out.push('', '</details>', '');
  return out;
}

function failureBlock(c: CaseResult): string {
  const lines = [`#### ${ICON[c.verdict]} ${c.id} ${c.title} — ${c.verdict}`, '', `Requirements: ${c.requirements.join(', ')} · level ${c.effectiveLevel}`, ''];
  if (c.failure) {
    lines.push('| | |', '|---|---|', `| step | ${cell(c.failure.step)} |`, `| expected | ${code(c.failure.expected)} |`, `| actual | ${code(c.failure.actual)} |`);
    for (const m of c.failure.mismatches.slice(0, 5)) lines.push(`| at \`${cell(m.path, 80)}\` | expected ${code(m.expected, 120)}, got ${code(m.actual, 120)} |`);
    lines.push('');
  } else if (c.reason) lines.push(c.reason, '');
  if (c.hint) lines.push(`> 💡 ${c.hint.replace(/\s+/g, ' ')}`, '');
  return lines.join('\n');
}

export function renderMarkdown(report: RunReport): string {
  const t = report.tally;
  const out = [
    `## InstaNet conformance: ${report.ok ? '✅' : '❌'} ${outcomeLine(report)}`,
    '',
    `Target: \`${cell(report.target, 200)}\` · profile **${report.profile}**${report.strict ? ' · --strict' : ''} · ${report.cases.length} cases in ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
    '| ✅ passed | ❌ failed | ⚠️ non-strict | ℹ️ informational | ⏭️ skipped | 💥 error |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${t.PASSED} | ${t.FAILED} | ${t['NON-STRICT']} | ${t.INFORMATIONAL} | ${t.SKIPPED} | ${t.ERROR} |`,
    '',
  ];
  const problems = notable(report);
  if (problems.length) {
    out.push('### What needs attention', '');
    for (const c of problems) out.push(failureBlock(c));
  }
  if (report.requirements) out.push(...requirementsBlock(report.requirements));
  out.push('<details><summary>All cases</summary>', '', '| case | title | requirements | level | verdict |', '|---|---|---|---|---|');
  for (const g of groups(report)) {
    out.push(`| **${g.group}** | **${cell(g.title)}** | | | |`);
    for (const c of g.cases) {
      out.push(`| ${c.id} | ${cell(c.title)} | ${c.requirements.join(', ')} | ${c.effectiveLevel} | ${ICON[c.verdict]} ${c.verdict}${c.verdict === 'SKIPPED' && c.reason ? ` (${cell(c.reason, 120)})` : ''}${c.firstRun ? ` (judged twice: first ${c.firstRun.verdict})` : ''} |`);
    }
  }
  out.push('', '</details>', '');
  return out.join('\n');
}
