import type { CaseResult, RunReport, Verdict } from '../runner/report-format.ts';
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
  out.push('<details><summary>All cases</summary>', '', '| case | title | requirements | level | verdict |', '|---|---|---|---|---|');
  for (const g of groups(report)) {
    out.push(`| **${g.group}** | **${cell(g.title)}** | | | |`);
    for (const c of g.cases) {
      out.push(`| ${c.id} | ${cell(c.title)} | ${c.requirements.join(', ')} | ${c.effectiveLevel} | ${ICON[c.verdict]} ${c.verdict}${c.verdict === 'SKIPPED' && c.reason ? ` (${cell(c.reason, 120)})` : ''} |`);
    }
  }
  out.push('', '</details>', '');
  return out.join('\n');
}
