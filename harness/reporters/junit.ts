import escapeHtml from 'escape-html';
import type { CaseResult, RunReport } from '../runner/report-format.ts';
import { groups } from './text.ts';

// JUnit XML as CI servers read it (one <testsuite> per scenario group, h2spec-style). FAILED is a
// <failure>, ERROR an <error>, SKIPPED <skipped>; NON-STRICT fails only under --strict, otherwise it
// and INFORMATIONAL pass with their note in <system-out>, so CI shows them without failing.

// XML 1.0 cannot carry most control characters even escaped; transcripts of bad servers have them.
const xml = (text: string) => escapeHtml(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function details(c: CaseResult): string {
  const lines = [
    `${c.id} ${c.title} [${c.effectiveLevel}] requirements: ${c.requirements.join(', ')}`,
    ...(c.failure ? [`step: ${c.failure.step}`, `expected: ${c.failure.expected}`, `actual:   ${c.failure.actual}`] : []),
    ...(c.failure?.mismatches ?? []).map((m) => `  at ${m.path}: expected ${m.expected}, got ${m.actual}`),
    ...(c.hint ? [`hint: ${c.hint}`] : []),
  ];
  return lines.join('\n');
}

function testcase(c: CaseResult, report: RunReport): string {
  const open = `    <testcase classname="instanet.${c.group}" name="${xml(`${c.id} ${c.title}`)}" time="${seconds(c.durationMs)}">`;
  const body: string[] = [];
  const message = xml(c.reason ?? c.verdict);
  if (c.verdict === 'FAILED' || (c.verdict === 'NON-STRICT' && report.strict)) {
    body.push(`      <failure message="${message}" type="${c.verdict}">${xml(details(c))}</failure>`);
  } else if (c.verdict === 'ERROR') {
    body.push(`      <error message="${message}" type="ERROR">${xml(details(c))}</error>`);
  } else if (c.verdict === 'SKIPPED') {
    body.push(`      <skipped message="${message}"/>`);
  } else if (c.verdict !== 'PASSED') {
    body.push(`      <system-out>${xml(`${c.verdict}: ${details(c)}`)}</system-out>`);
  }
  return body.length ? `${open}\n${body.join('\n')}\n    </testcase>` : `${open}</testcase>`;
}

export function renderJunit(report: RunReport): string {
  const suites = groups(report).map((g) => {
    const failures = g.cases.filter((c) => c.verdict === 'FAILED' || (c.verdict === 'NON-STRICT' && report.strict)).length;
    const errors = g.cases.filter((c) => c.verdict === 'ERROR').length;
    const skipped = g.cases.filter((c) => c.verdict === 'SKIPPED').length;
    const time = g.cases.reduce((s, c) => s + c.durationMs, 0);
    return [
      `  <testsuite name="${xml(`${g.group} ${g.title}`)}" tests="${g.cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(time)}" timestamp="${xml(report.startedAt.replace(/\.\d+Z$/, ''))}">`,
      ...g.cases.map((c) => testcase(c, report)),
      '  </testsuite>',
    ].join('\n');
  });
  const t = report.tally;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(`InstaNet conformance: ${report.target}`)}" tests="${report.cases.length}" failures="${t.FAILED + (report.strict ? t['NON-STRICT'] : 0)}" errors="${t.ERROR}" skipped="${t.SKIPPED}" time="${seconds(report.durationMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
