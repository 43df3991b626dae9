import type { SubmissionGrade } from './grade-format.ts';
import { starterFlags, statusText } from './grade-format.ts';
import type { TaskColumn } from './gradebook-csv.ts';
import { esc, page, statusClass } from './html-parts.ts';
import { classFlags, type ClassFlags } from './class-flags.ts';
import { SIMILAR_THRESHOLD } from './similarity.ts';

// The class at a glance: a sortable table of every submission, how the totals spread, and which
// cases fail most often with the hint that fixes them (what to go over in the next lecture).

export interface CommonFailure {
  id: string;
  title: string;
  count: number;
  names: string[];
  hint?: string;
  requirements: string[];
}

/**
 * Graded cases failed by the most submissions that ran; "not run" cases are counted as statuses
 * instead, and ungraded checks (client.7.1, robustness) are left out: they cost no points, so they
 * are not what to go over first.
 */
export function commonFailures(grades: readonly SubmissionGrade[], limit = 15): CommonFailure[] {
  const byId = new Map<string, CommonFailure>();
  for (const g of grades) {
    const graded = new Set(g.tasks.flatMap((t) => t.items.flatMap((i) => i.cases.map((c) => c.id))));
    for (const c of g.cases) {
      if (!graded.has(c.id)) continue;
      if (c.verdict === 'PASSED' || c.verdict === 'SKIPPED' || c.verdict === 'INFORMATIONAL') continue;
      const entry = byId.get(c.id) ?? { id: c.id, title: c.title, count: 0, names: [], requirements: c.requirements };
      entry.count++;
      entry.names.push(g.name);
      if (!entry.hint && c.hint) entry.hint = c.hint;
      byId.set(c.id, entry);
    }
  }
  return [...byId.values()].sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : 1)).slice(0, limit);
}

/**
 * `bins` equal ranges [from, to) below max, and a last bin of its own for full marks (from = to =
 * max): a class where many score 100 must not look like one where many score 93.
 */
export function histogram(totals: readonly number[], max: number, bins = 10): { from: number; to: number; count: number }[] {
  const width = max / bins || 1;
  const out = Array.from({ length: bins }, (_, i) => ({ from: i * width, to: (i + 1) * width, count: 0 }));
  out.push({ from: max, to: max, count: 0 });
  for (const t of totals) {
    const i = t >= max ? bins : Math.min(bins - 1, Math.max(0, Math.floor(t / width)));
    (out[i] as { count: number }).count++;
  }
  return out;
}

const SORT_SCRIPT = `
document.querySelectorAll('table.sortable th').forEach(function(th, col){
  th.style.cursor='pointer';th.title='sort';
  th.addEventListener('click', function(){
    var table=th.closest('table'), body=table.tBodies[0], rows=Array.prototype.slice.call(body.rows);
    var dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
    table.querySelectorAll('th').forEach(function(h){ delete h.dataset.dir; });
    th.dataset.dir = dir;
    rows.sort(function(a,b){
      var x=a.cells[col].dataset.v ?? a.cells[col].textContent, y=b.cells[col].dataset.v ?? b.cells[col].textContent;
      var nx=parseFloat(x), ny=parseFloat(y);
      var r = (!isNaN(nx) && !isNaN(ny)) ? nx-ny : String(x).localeCompare(String(y));
      return dir==='asc' ? r : -r;
    });
    rows.forEach(function(r){ body.appendChild(r); });
  });
});`;

export function dashboardHtml(title: string, columns: readonly TaskColumn[], grades: readonly SubmissionGrade[], flags: ClassFlags = classFlags(grades)): string {
  const max = columns.reduce((s, c) => s + c.points, 0);
  const sorted = [...grades].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const totals = sorted.map((g) => g.total);
  const mean = totals.length ? totals.reduce((s, t) => s + t, 0) / totals.length : 0;
  const median = totals.length ? [...totals].sort((a, b) => a - b)[Math.floor((totals.length - 1) / 2)] ?? 0 : 0;
  const statuses = new Map<string, number>();
  for (const g of sorted) statuses.set(g.status, (statuses.get(g.status) ?? 0) + 1);

  const rows = sorted
    .map((g) => {
      const byId = new Map(g.tasks.map((t) => [t.id, t.earned]));
      const href = `${encodeURIComponent(g.folder)}/report.html`;
      return `<tr><td data-v="${esc(g.name)}"><a href="${esc(href)}">${esc(g.name)}</a></td>${columns
        .map((c) => `<td class="num" data-v="${byId.get(c.id) ?? 0}">${byId.get(c.id) ?? 0}</td>`)
        .join('')}<td class="num" data-v="${g.total}"><b>${g.total}</b></td>
        <td data-v="${esc(g.status)}"><span class="pill ${statusClass(g.status)}">${esc(statusText(g))}</span>${flaggedPill(g)}</td>
        <td class="num" data-v="${g.durationMs}">${(g.durationMs / 1000).toFixed(1)} s</td>
        <td>${flags.has(g.name) ? `<span class="pill warn">${esc(flags.get(g.name) ?? '')}</span>` : ''}</td></tr>`;
    })
    .join('');

  const bins = histogram(totals, max || 100);
  const top = Math.max(1, ...bins.map((b) => b.count));
  const svgBars = bins
    .map((b, i) => {
      const h = Math.round((b.count / top) * 110);
      return `<g><rect x="${i * 44 + 4}" y="${130 - h}" width="40" height="${h}" fill="#0969da"><title>${b.count} submission(s) with ${b.from === b.to ? `${b.from.toFixed(0)} (full marks)` : `${b.from.toFixed(0)}–${b.to.toFixed(0)}, below ${b.to.toFixed(0)}`}</title></rect>
        <text x="${i * 44 + 24}" y="${125 - h}" text-anchor="middle" font-size="11">${b.count || ''}</text>
        <text x="${i * 44 + 24}" y="146" text-anchor="middle" font-size="10">${b.from.toFixed(0)}</text></g>`;
    })
    .join('');
  const histogramSvg = `<svg role="img" aria-label="score distribution" width="${bins.length * 44 + 8}" height="152" xmlns="http://www.w3.org/2000/svg">${svgBars}</svg>`;

  const failures = commonFailures(sorted);
  const failureRows = failures
    .map(
      (f) => `<tr><td class="num">${f.count}</td><td><code>${esc(f.id)}</code> ${esc(f.title)}<div class="muted">${esc(f.requirements.join(', '))}</div></td>
      <td>${f.hint ? `<div class="hint"><b>Hint:</b> ${esc(f.hint)}</div>` : '<span class="muted">—</span>'}</td>
      <td><details><summary>${f.names.length} submission(s)</summary>${f.names.map((n) => esc(n)).join(', ')}</details></td></tr>`,
    )
    .join('');
  const statusList = [...statuses.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([s, n]) => `<span class="pill ${statusClass(s)}">${esc(s)}: ${n}</span>`)
    .join(' ');

  const flagged = sorted.filter((g) => flags.has(g.name));
  const similarSection = flagged.length
    ? `<h2>Identical or near-identical hand-ins</h2>
  <p class="muted">Same files (graded once), or socket_utils.py at least ${Math.round(SIMILAR_THRESHOLD * 100)}% alike (Jaccard of 5-token shingles, comments and the course starter taken out). For the TA only: no student's files name another student.</p>
  <ul>${flagged.map((g) => `<li><b>${esc(g.name)}</b>: ${esc(flags.get(g.name) ?? '')}</li>`).join('')}</ul>`
    : '';
  const body = `<header><h1>${esc(title)}</h1><div>${sorted.length} submission(s) · mean ${mean.toFixed(2)} · median ${median} of ${max} · ${statusList}</div></header>
  <main>
  <h2>Score distribution</h2>${histogramSvg}
  <h2>Most common failures</h2>
  ${failures.length ? `<table><thead><tr><th class="num">failed by</th><th>case</th><th>hint</th><th>who</th></tr></thead><tbody>${failureRows}</tbody></table>` : '<p class="muted">No case failed.</p>'}
  ${similarSection}
  <h2>Submissions</h2>
  <table class="sortable" id="gradebook"><thead><tr><th>name</th>${columns
    .map((c) => `<th class="num" title="${esc(c.title)}">${esc(c.id)} (${c.points})</th>`)
    .join('')}<th class="num">total (${max})</th><th>status</th><th class="num">time</th><th>similar</th></tr></thead><tbody>${rows}</tbody></table>
  </main>`;
  return page(title, body, SORT_SCRIPT);
}

/** A hand-in that changed the course's files or renamed a function: the lines on hover, the whole in its report. */
function flaggedPill(g: SubmissionGrade): string {
  const flags = starterFlags(g);
  return flags.length ? ` <span class="pill warn" title="${esc(flags.join('; '))}">flagged</span>` : '';
}
