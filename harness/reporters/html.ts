import escapeHtml from 'escape-html';
import { requirement, isRequirementId } from '../../spec/requirements.ts';
import type { TranscriptEvent } from '../transcript/format.ts';
import type { CaseResult, RequirementCoverage, RunReport, Verdict } from '../runner/report-format.ts';
import { coverageLine, REQUIREMENT_STATUS_LABEL } from '../runner/requirement-coverage.ts';
import { groups, isProblem, notable, outcomeLine, tallyLine, VERDICT_ORDER } from './text.ts';

// report.html: one self-contained file (inline CSS and a few lines of script, no network), so it
// can be mailed, attached to a CI run or opened from a gradebook. What a reader came for comes
// first: the verdict, then every failure with its evidence (expected, actual, what the server
// printed, the hint); then the matrix and the passing cases; the requirement roll-up last, collapsed.

const h = (text: unknown) => escapeHtml(String(text));

const CSS = `
:root{--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--info:#0969da;--skip:#6e7781;--err:#8250df;--bg:#fff;--fg:#1f2328;--muted:#656d76;--line:#d0d7de}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:var(--fg);background:var(--bg)}
header{padding:16px 24px;border-bottom:1px solid var(--line)}h1{font-size:20px;margin:0 0 6px}main{padding:16px 24px}
.muted{color:var(--muted)}code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.v-PASSED{background:var(--pass)}.v-FAILED{background:var(--fail)}.v-NON-STRICT{background:var(--warn)}.v-INFORMATIONAL{background:var(--info)}.v-SKIPPED{background:var(--skip)}.v-ERROR{background:var(--err)}
.outcome{font-weight:700}.outcome.ok{color:var(--pass)}.outcome.bad{color:var(--fail)}
.tally span{margin-right:8px}
table{border-collapse:collapse}td,th{border:1px solid var(--line);padding:4px 8px;vertical-align:top;text-align:left}
.matrix td.g{font-weight:600;white-space:nowrap}.matrix a.cell{display:inline-block;min-width:52px;margin:2px;padding:2px 6px;border-radius:4px;color:#fff;text-decoration:none;font-size:12px;text-align:center}
.filters button{margin:0 4px 8px 0;border:1px solid var(--line);background:#f6f8fa;border-radius:6px;padding:3px 10px;cursor:pointer}.filters button.on{background:#ddf4ff;border-color:var(--info)}
details.case{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:0 10px}details.case>summary{cursor:pointer;padding:6px 0;list-style-position:outside}
details.case[data-problem="1"]{border-left:4px solid var(--fail)}
.side{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin:8px 0}.side.with-server{grid-template-columns:1fr 1fr 1fr}.side .srv{background:#f6f8fa}.side pre{white-space:pre-wrap;word-break:break-word;max-height:18em;overflow:auto;margin:4px 0 0}
.failures-none{color:var(--pass);font-weight:600}details.reqs-rollup>summary{cursor:pointer;font-size:1.5em;font-weight:700;margin:.83em 0}.side>div{border:1px solid var(--line);border-radius:6px;padding:6px 8px;overflow:auto}
.side .exp{background:#dafbe1}.side .act{background:#ffebe9}.hint{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:6px 8px;margin:8px 0}
.transcript td{font-size:12px}.transcript .c2s{color:#0550ae}.transcript .s2c{color:#953800}.transcript pre{margin:0;white-space:pre-wrap;word-break:break-all;max-height:16em;overflow:auto}
.req{margin:2px 0}.req b{font-family:ui-monospace,monospace}
img.thumb{max-width:96px;max-height:96px;border:1px solid var(--line)}
.hidden{display:none}
.reqtable td{font-size:13px}.reqtable td.id{white-space:nowrap;font-family:ui-monospace,monospace}.reqtable a.cell{display:inline-block;margin:1px;padding:0 5px;border-radius:4px;color:#fff;text-decoration:none;font-size:12px}
.st{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;white-space:nowrap;border:1px solid var(--line)}
.st-met{background:#dafbe1}.st-not-met{background:#ffebe9;color:var(--fail);font-weight:600}.st-not-met-should{background:#fff8c5}.st-informational{background:#ddf4ff}.st-not-exercised,.st-no-scenario{color:var(--muted)}
tr:target{outline:2px solid var(--info)}
`;

const SCRIPT = `
(function(){
  var buttons=document.querySelectorAll('.filters button');
  function apply(v){
    document.querySelectorAll('details.case').forEach(function(d){d.classList.toggle('hidden', v!=='all' && d.getAttribute('data-verdict')!==v);});
    buttons.forEach(function(b){b.classList.toggle('on', b.getAttribute('data-filter')===v);});
  }
  buttons.forEach(function(b){b.addEventListener('click',function(){apply(b.getAttribute('data-filter'));});});
  function openHash(){
    var id=decodeURIComponent(location.hash.slice(1)); if(!id) return;
    var el=document.getElementById(id); if(!el) return;
    // A target inside a collapsed section (a requirement row) is shown, not left hidden.
    for(var p=el.parentElement&&el.parentElement.closest('details');p;p=p.parentElement&&p.parentElement.closest('details')) p.open=true;
    var d=el; if(d.tagName==='DETAILS'){d.open=true;var t=d.querySelector('details.transcript');if(t)t.open=true;d.classList.remove('hidden');}
    el.scrollIntoView();
  }
  window.addEventListener('hashchange',openHash); openHash();
  var all=document.getElementById('expand-all'); if(all) all.addEventListener('click',function(){document.querySelectorAll('details.case').forEach(function(d){d.open=true;});});
  var none=document.getElementById('collapse-all'); if(none) none.addEventListener('click',function(){document.querySelectorAll('details').forEach(function(d){d.open=false;});});
})();
`;

const badge = (v: Verdict) => `<span class="badge v-${v}">${h(v)}</span>`;
const caseAnchor = (id: string) => `case-${id}`;

function isJpegOrPng(base64: string): string | undefined {
  const head = Buffer.from(base64.slice(0, 12), 'base64');
  if (head[0] === 0xff && head[1] === 0xd8) return 'image/jpeg';
  if (head[0] === 0x89 && head[1] === 0x50) return 'image/png';
  return undefined;
}

function eventContent(e: TranscriptEvent): string {
  const parts: string[] = [];
  if (e.kind === 'image-length') parts.push(`length header: ${h(e.length ?? '?')} bytes announced <span class="muted">(${h(e.base64 ?? '')})</span>`);
  else if (e.kind === 'image-bytes') {
    parts.push(`image: ${h(e.length ?? 0)} bytes <span class="muted mono">sha256 ${h((e.sha256 ?? '').slice(0, 16))}…</span>`);
    const mime = e.preview ? isJpegOrPng(e.preview) : undefined;
    // Only real image formats get a thumbnail; generated test bytes would render as a broken image.
    // Test images carry JPEG magic around random bytes; one that does not decode removes itself.
    if (e.preview && mime) parts.push(`<br><img class="thumb" alt="image preview" onerror="this.remove()" src="data:${mime};base64,${h(e.preview)}">`);
  } else if (e.text !== undefined) parts.push(`<pre>${h(e.text)}</pre>`);
  else if (e.base64 !== undefined) parts.push(`<pre class="muted">base64: ${h(e.base64.length > 4000 ? `${e.base64.slice(0, 4000)}…` : e.base64)}</pre>`);
  if (e.kind === 'raw' && e.length !== undefined && e.sha256) parts.push(`<span class="muted">${h(e.length)} bytes, sha256 ${h(e.sha256.slice(0, 16))}…</span>`);
  if (e.error) parts.push(`<span class="badge v-FAILED">${h(e.error)}</span>`);
  if (e.note) parts.push(`<span class="muted">${h(e.note)}</span>`);
  if (e.requirements?.length) parts.push(`<span class="muted">[${h(e.requirements.join(', '))}]</span>`);
  return parts.join(' ');
}

function transcript(c: CaseResult, open: boolean): string {
  if (!c.transcript.length) return '<p class="muted">No bytes were exchanged.</p>';
  const bytesEach = (dir: 'c2s' | 's2c') =>
    c.transcript.filter((e) => e.dir === dir).reduce((n, e) => n + (e.kind === 'image-bytes' ? (e.length ?? 0) : e.text !== undefined ? Buffer.byteLength(e.text) : e.base64 ? Buffer.from(e.base64, 'base64').length : 0), 0);
  const rows = c.transcript.map((e) => {
    const dir = e.dir === 'c2s' ? '<span class="c2s">client → server</span>' : e.dir === 's2c' ? '<span class="s2c">server → client</span>' : '';
    return `<tr><td class="mono">${h(e.t.toFixed(1))}</td><td class="mono">${h(e.conn)}</td><td>${dir}</td><td>${h(e.kind)}</td><td>${eventContent(e)}</td></tr>`;
  });
  return `<details class="transcript"${open ? ' open' : ''}><summary>Transcript: ${c.transcript.length} events, ${bytesEach('c2s')} bytes sent, ${bytesEach('s2c')} received</summary>
<table class="transcript"><thead><tr><th>ms</th><th>conn</th><th>direction</th><th>kind</th><th>bytes</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}

function caseSection(c: CaseResult): string {
  const problem = isProblem(c.verdict);
  const reqs = c.requirements
    .map((id) => `<div class="req"><b><a href="#${h(requirementAnchor(id))}">${h(id)}</a></b> ${isRequirementId(id) ? `(${h(requirement(id).level)}) ${h(requirement(id).text)}` : ''}</div>`)
    .join('');
  const about = [`<div class="reqs">${reqs}</div>`, `<p class="muted">Tasks: ${h(c.tasks.join(', ') || '—')} · level ${h(c.level)}${c.effectiveLevel !== c.level ? ` (judged ${h(c.effectiveLevel)} in this profile)` : ''} · ${h(c.durationMs)} ms</p>`];
  // The evidence first, so a failure's expected, actual and server output are on the first screen.
  const parts: string[] = [];
  if (c.failure) {
    parts.push(`<p>Failed at step <b>${h(c.failure.step)}</b> (${h(c.failure.kind)})</p>`);
    const server = c.serverOutput?.length ? `<div class="srv"><b>The server printed</b><pre>${h(c.serverOutput.join('\n'))}</pre></div>` : '';
    parts.push(`<div class="side${server ? ' with-server' : ''}"><div class="exp"><b>Expected</b><pre>${h(c.failure.expected)}</pre></div><div class="act"><b>Actual</b><pre>${h(c.failure.actual)}</pre></div>${server}</div>`);
    if (c.failure.mismatches.length) {
      parts.push(`<table><thead><tr><th>at</th><th>expected</th><th>actual</th></tr></thead><tbody>${c.failure.mismatches.map((m) => `<tr><td class="mono">${h(m.path)}</td><td class="mono">${h(m.expected)}</td><td class="mono">${h(m.actual)}</td></tr>`).join('')}</tbody></table>`);
    }
  } else if (c.reason) parts.push(`<p>${h(c.reason)}</p>`);
  if (!c.failure && c.serverOutput?.length) parts.push(`<div class="side"><div class="srv"><b>The server printed</b><pre>${h(c.serverOutput.join('\n'))}</pre></div></div>`);
  if (c.hint) parts.push(`<div class="hint">💡 ${h(c.hint)}</div>`);
  if (c.firstRun) parts.push(`<p class="muted">Judged twice: the first run gave ${h(c.firstRun.verdict)}${c.firstRun.reason ? ` (${h(c.firstRun.reason)})` : ''}, a timeout a busy machine may cause; this verdict is the second run's, alone on a fresh server.</p>`);
  parts.push(...about);
  if (c.log.length) parts.push(`<details><summary>Log (${c.log.length} lines)</summary><pre>${h(c.log.join('\n'))}</pre></details>`);
  // Collapsed even for a failure: a long transcript between two failures hides the next one.
  parts.push(transcript(c, false));
  return `<details class="case" id="${h(caseAnchor(c.id))}" data-verdict="${h(c.verdict)}" data-problem="${problem ? 1 : 0}"${problem ? ' open' : ''}>
<summary>${badge(c.verdict)} <b>${h(c.id)}</b> ${h(c.title)}</summary>${parts.join('\n')}</details>`;
}

const requirementAnchor = (id: string) => `req-${id}`;

// The traceability table: each requirement ID with its text, status and links to its cases; each
// case links back to its requirement rows.
function requirementsTable(rows: readonly RequirementCoverage[]): string {
  const body = rows
    .map((r) => {
      const cases = r.cases
        .map((c) => `<a class="cell v-${h(c.verdict)}" href="#${h(caseAnchor(c.id))}" title="${h(`${c.id}: ${c.verdict}`)}">${h(c.id)}</a>`)
        .join('');
      const unselected = r.unselected.length ? ` <span class="muted">not run: ${h(r.unselected.join(', '))}</span>` : '';
      return `<tr id="${h(requirementAnchor(r.id))}" data-status="${h(r.status)}"><td class="id">${h(r.id)}</td><td>${h(r.level)}</td><td>${h(r.text)}</td><td><span class="st st-${h(r.status)}">${h(REQUIREMENT_STATUS_LABEL[r.status])}</span></td><td>${cases || (unselected ? '' : '—')}${unselected}</td></tr>`;
    })
    .join('');
  return `<details class="reqs-rollup" id="requirements"><summary>Requirements <span class="muted">(${h(coverageLine(rows))})</span></summary>
<table class="reqtable"><thead><tr><th>requirement</th><th>level</th><th>text</th><th>status</th><th>cases</th></tr></thead><tbody>${body}</tbody></table></details>`;
}

export function renderHtml(report: RunReport): string {
  const t = report.tally;
  const failingIds = new Set(notable(report).map((c) => c.id));
  const failing = report.cases.filter((c) => failingIds.has(c.id)).sort((a, b) => VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict));
  const others = report.cases.filter((c) => !failingIds.has(c.id));
  const matrix = groups(report)
    .map((g) => `<tr><td class="g">${h(g.group)}. ${h(g.title)}</td><td>${g.cases.map((c) => `<a class="cell v-${h(c.verdict)}" href="#${h(caseAnchor(c.id))}" title="${h(`${c.id} ${c.title}: ${c.verdict}`)}">${h(c.id)}</a>`).join('')}</td></tr>`)
    .join('');
  const filters = ['all', ...VERDICT_ORDER.filter((v) => t[v] > 0)]
    .map((v) => `<button type="button" data-filter="${h(v)}"${v === 'all' ? ' class="on"' : ''}>${h(v === 'all' ? `all (${report.cases.length})` : `${v} (${t[v as Verdict]})`)}</button>`)
    .join('');
  const instances = report.instances
    .filter((i) => i.stdout || i.stderr || i.status !== 'ok')
    .map((i) => `<details><summary>Server instance ${h(i.index)} (${h(i.address ?? 'not started')}; cases ${h(i.cases[0] ?? '')}…${h(i.cases[i.cases.length - 1] ?? '')}): ${h(i.status)}${i.detail ? ` — ${h(i.detail)}` : ''}</summary>
<p><b>stdout</b></p><pre>${h(i.stdout || '(empty)')}</pre><p><b>stderr</b></p><pre>${h(i.stderr || '(empty)')}</pre></details>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>InstaNet conformance: ${h(report.target)}</title><style>${CSS}</style></head>
<body><header><h1>InstaNet conformance report</h1>
<div class="outcome ${report.ok ? 'ok' : 'bad'}">${h(outcomeLine(report))}</div>
<div class="muted">Target <code>${h(report.target)}</code> · profile <b>${h(report.profile)}</b>${report.strict ? ' · --strict' : ''} · ${h(report.startedAt)} · ${h((report.durationMs / 1000).toFixed(1))} s · kit ${h(report.kit)} · run ${h(report.runId)}</div>
<div class="tally">${VERDICT_ORDER.map((v) => `<span>${badge(v)} ${h(t[v])}</span>`).join('')}</div>
<div class="muted">${h(tallyLine(report))}</div></header>
<main><section class="failures"><h2>Failures</h2>
${failing.length ? failing.map(caseSection).join('\n') : '<p class="failures-none">No case failed.</p>'}</section>
<h2>Summary</h2><table class="matrix"><tbody>${matrix}</tbody></table>
<h2>${failing.length ? 'Other cases' : 'Cases'}</h2><div class="filters">${filters}<button type="button" id="expand-all">expand all</button><button type="button" id="collapse-all">collapse all</button></div>
${others.map(caseSection).join('\n')}
${report.requirements ? requirementsTable(report.requirements) : ''}
${instances ? `<h2>Server output</h2>${instances}` : ''}
</main><script>${SCRIPT}</script></body></html>
`;
}
