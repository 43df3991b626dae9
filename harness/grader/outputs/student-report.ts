import type { GradedCase, SubmissionGrade } from './grade-format.ts';
import { starterFlags, statusText } from './grade-format.ts';
import { esc, page, statusClass, verdictClass } from './html-parts.ts';
import { lostPointsByFunction } from './lost-points.ts';

// The page a student (or a TA answering a regrade request) reads: points per task and item, and
// under each item the cases behind it, with expected vs actual and the hint for each failure.

function caseRow(c: GradedCase): string {
  const failed = c.verdict !== 'PASSED';
  const body = [
    c.detail ? `<div>${esc(c.detail)}</div>` : '',
    c.expected !== undefined ? `<div><b>expected</b><pre>${esc(c.expected)}</pre></div>` : '',
    c.actual !== undefined ? `<div><b>actual</b><pre>${esc(c.actual)}</pre></div>` : '',
    c.serverOutput?.length ? `<div class="server-said"><b>your server printed</b><pre>${esc(c.serverOutput.join('\n'))}</pre></div>` : '',
    c.hint ? `<div class="hint"><b>Hint:</b> ${esc(c.hint)}</div>` : '',
  ].join('');
  const head = `<span class="pill ${verdictClass(c.verdict)}">${esc(c.verdict)}</span> <code>${esc(c.id)}</code> ${esc(c.title)}
    <span class="muted">${esc(c.requirements.join(', '))}${c.source === 'client' ? ' · your client code' : ''}${c.blame ? ` · charged to <code>${esc(c.blame)}</code>` : ''}</span>`;
  return failed && body ? `<details class="case"><summary>${head}</summary>${body}</details>` : `<div class="case">${head}</div>`;
}

/** Changed course files and functions declared otherwise: first, since the grade rests on the starter's files. */
function starterSection(grade: SubmissionGrade): string {
  const flags = starterFlags(grade);
  if (!grade.starter || flags.length === 0) return '';
  const whose = grade.starter.origin === 'given' ? "the course's starter folder" : "the class's most common copies, standing in for the starter";
  return `<h2>Your files and the starter's</h2><p>Only <code>socket_utils.py</code> is yours to change: this grade was computed with the
    starter's <code>server.py</code>, <code>client.py</code> and <code>constants.py</code> (${esc(whose)}).</p>
    <ul>${flags.map((f) => `<li class="warn">${esc(f)}</li>`).join('')}</ul>`;
}

export function studentReportHtml(grade: SubmissionGrade, extraLinks: { href: string; label: string }[] = []): string {
  const byId = new Map(grade.cases.map((c) => [c.id, c]));
  const tasks = grade.tasks
    .map((task) => {
      const items = task.items
        .map((item) => {
          const cases = item.cases.map((c) => byId.get(c.id)).filter((c): c is GradedCase => !!c);
          const cls = item.earned >= item.points ? 'ok' : item.earned > 0 ? 'warn' : 'bad';
          return `<tr><td>${esc(item.name)}<div>${cases.map(caseRow).join('')}</div></td>
            <td class="num ${cls}">${item.earned} / ${item.points}</td></tr>`;
        })
        .join('');
      return `<h2>${esc(task.title)} — ${task.earned} / ${task.points}</h2><table><tbody>${items}</tbody></table>`;
    })
    .join('');
  const ungraded = grade.ungraded
    .map((g) => {
      const cases = g.cases.map((id) => byId.get(id)).filter((c): c is GradedCase => !!c);
      return `<h2>${esc(g.title)} <span class="muted">(not graded) — ${g.passed} / ${cases.length} passed</span></h2>${cases.map(caseRow).join('')}`;
    })
    .join('');
  const lost = lostPointsByFunction(grade);
  const byFunction = lost.length
    ? `<h2>Where the points went</h2><table><tbody>${lost
        .map(
          (l) => `<tr><td><code>${esc(l.blame)}</code> — ${esc(l.cases.map((c) => `${c.id} ${c.title}`).join('; '))}
            <span class="muted">(${esc(l.tasks.join(', '))})</span></td><td class="num bad">−${l.points}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  const incidents = grade.incidents.length ? `<h2>What happened</h2><ul>${grade.incidents.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` : '';
  const framing = grade.imageFraming ? `<h2>Image framing <span class="muted">(informational)</span></h2><p>${esc(grade.imageFraming.replace(/^Image framing \(informational\): /, ''))}</p>` : '';
  const output =
    grade.output.stdout || grade.output.stderr
      ? `<h2>Server output</h2><details><summary>stdout / stderr (capped)</summary><pre>${esc(grade.output.stdout)}</pre><pre>${esc(grade.output.stderr)}</pre></details>`
      : '';
  const links = extraLinks.map((l) => ` · <a href="${esc(l.href)}">${esc(l.label)}</a>`).join('');
  const body = `<header><h1>${esc(grade.name)} — ${grade.total} / ${grade.max}</h1>
    <div>${esc(grade.rubric)} · status <span class="pill ${statusClass(grade.status)}">${esc(statusText(grade))}</span>
    · graded ${esc(grade.gradedAt)} in ${(grade.durationMs / 1000).toFixed(1)} s · sandbox ${esc(grade.sandbox)}
    ${grade.located && grade.located !== '.' ? `· server found in <code>${esc(grade.located)}</code>` : ''}${links}</div></header>
    <main>${starterSection(grade)}${incidents}${byFunction}${tasks}${ungraded}${framing}${output}</main>`;
  return page(`${grade.name}: ${grade.total} / ${grade.max}`, body);
}
