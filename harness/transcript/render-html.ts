import escapeHtml from 'escape-html';
import { formatSize, imageMime, summarizeEvent, visible } from './event-summary.ts';
import type { Transcript, TranscriptEvent } from './format.ts';
import { formatTime, transcriptStats } from './render-terminal.ts';
import { checkEvents, type Violation } from './violations.ts';

// `transcript show --html`: a self-contained sequence diagram (client lane, server lane, an arrow
// per message), readable offline and safe to open from a student's submission: every byte from the
// wire is escaped, and the page may load nothing and run nothing (CSP default-src 'none').

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const STYLE = `
:root { color-scheme: light dark; --c2s: #0a6fb8; --s2c: #1b7f3b; --img: #8a3ab9; --bad: #c0262d; --warn: #a86b00; --muted: #6b7280; --line: #d0d4da; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; padding: 1.5rem; }
h1 { font-size: 1.3rem; margin: 0 0 .4rem; }
dl.meta { display: flex; flex-wrap: wrap; gap: .3rem 1.4rem; margin: 0 0 1rem; color: var(--muted); }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0 0 0 .3rem; } dl.meta div { display: flex; }
.summary { margin: .5rem 0 1rem; }
.ok { color: var(--s2c); } .bad { color: var(--bad); } .warn { color: var(--warn); }
.seq { display: grid; grid-template-columns: 6.5rem 3.5rem minmax(0, 1fr) 5rem minmax(0, 1fr); border-top: 1px solid var(--line); }
.seq > .head { font-weight: 700; padding: .4rem .5rem; border-bottom: 2px solid var(--line); position: sticky; top: 0; background: Canvas; }
.row { display: contents; }
.row > div { padding: .3rem .5rem; border-bottom: 1px solid var(--line); min-width: 0; }
.t, .conn { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
.conn span { display: inline-block; padding: 0 .35rem; border-radius: .3rem; background: hsl(var(--hue) 70% 50% / .15); color: hsl(var(--hue) 60% 40%); font-weight: 600; }
.cell { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; overflow-wrap: anywhere; }
.client { border-right: 3px solid var(--c2s) !important; text-align: right; }
.server { border-left: 3px solid var(--s2c) !important; }
.arrow { position: relative; }
.arrow::before { content: ""; position: absolute; left: .3rem; right: .3rem; top: 50%; border-top: 2px solid currentColor; }
.arrow.c2s { color: var(--c2s); } .arrow.s2c { color: var(--s2c); }
.arrow.c2s::after, .arrow.s2c::after { content: ""; position: absolute; top: calc(50% - 5px); border: 5px solid transparent; }
.arrow.c2s::after { right: 0; border-left: 8px solid currentColor; }
.arrow.s2c::after { left: 0; border-right: 8px solid currentColor; }
.arrow.none::before { border-top-style: dotted; color: var(--muted); }
.kind-image-length .cell, .kind-image-bytes .cell { color: var(--img); }
.kind-raw .cell { color: var(--warn); }
.kind-connect .span, .kind-close .span, .kind-note .span, .kind-timeout .span { grid-column: 3 / 6; text-align: center; color: var(--muted); font-style: italic; }
.has-error > div { background: color-mix(in srgb, var(--bad) 7%, transparent); }
.violation { grid-column: 3 / 6; color: var(--bad); font-size: 12.5px; padding: .2rem .5rem .4rem !important; }
.violation.warning { color: var(--warn); }
.reqs { color: var(--muted); font-size: 11px; }
details summary { cursor: pointer; list-style-position: inside; }
pre { white-space: pre-wrap; margin: .3rem 0 0; text-align: left; }
img.preview { display: block; max-width: 96px; max-height: 96px; margin: .3rem 0 0 auto; border: 1px solid var(--line); }
.server img.preview { margin-left: 0; }
`;

function hue(conn: string): number {
  let h = 0;
  for (const ch of conn) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return h;
}

function messageBody(event: TranscriptEvent): string {
  const summary = escapeHtml(summarizeEvent(event, 160));
  if (event.kind === 'json' && event.json !== undefined) {
    const exact = event.text !== undefined ? `<pre>${escapeHtml(visible(event.text))}</pre>` : '';
    const pretty = JSON.stringify(event.json, null, 2);
    return `<details><summary>${summary}</summary>${exact}<pre>${escapeHtml(pretty)}</pre></details>`;
  }
  if (event.kind === 'image-bytes') {
    let img = '';
    if (event.preview && BASE64.test(event.preview)) {
      const mime = imageMime(Buffer.from(event.preview, 'base64'));
      if (mime) img = `<img class="preview" alt="image of ${escapeHtml(formatSize(event.length ?? 0))}" src="data:${mime};base64,${event.preview}">`;
    }
    return `${summary}<div class="reqs">sha256 ${escapeHtml(event.sha256 ?? '')}</div>${img}`;
  }
  return summary;
}

export function renderHtml(transcript: Transcript, options: { title?: string } = {}): string {
  const h = transcript.header;
  const title = options.title ?? `Transcript: ${h.title ?? h.source}`;
  const violations = checkEvents(transcript.events);
  const byEvent = new Map<number, Violation[]>();
  for (const v of violations) if (v.event !== undefined) byEvent.set(v.event, [...(byEvent.get(v.event) ?? []), v]);
  const stats = transcriptStats(transcript);
  const errors = violations.filter((v) => v.severity === 'error').length;

  const rows = transcript.events.map((event, index) => {
    const found = byEvent.get(index) ?? [];
    const classes = [`row`, `kind-${event.kind}`, event.dir ?? 'nodir', found.some((v) => v.severity === 'error') || event.error ? 'has-error' : ''];
    const reqs = event.requirements?.length ? `<div class="reqs">${escapeHtml(event.requirements.join(', '))}</div>` : '';
    const time = `<div class="t">${escapeHtml(formatTime(event.t))}</div>`;
    const conn = `<div class="conn"><span style="--hue:${hue(event.conn)}">${escapeHtml(event.conn)}</span></div>`;
    let middle: string;
    if (event.dir === undefined || ((event.kind === 'close' || event.kind === 'timeout') && event.dir)) {
      const side = event.dir && !event.note ? ` (${event.dir === 'c2s' ? 'client side' : 'server side'})` : '';
      middle = `<div class="span">${escapeHtml(summarizeEvent(event, 200))}${escapeHtml(side)}${reqs}</div>`;
    } else if (event.dir === 'c2s') {
      middle = `<div class="cell client">${messageBody(event)}${reqs}</div><div class="arrow c2s" aria-label="client to server"></div><div class="cell server"></div>`;
    } else {
      middle = `<div class="cell client"></div><div class="arrow s2c" aria-label="server to client"></div><div class="cell server">${messageBody(event)}${reqs}</div>`;
    }
    const notes = found
      .map((v) => `<div class="violation ${v.severity}">${v.severity === 'error' ? '✗' : '!'} ${escapeHtml(v.requirements.join(', '))} ${v.dir === 'c2s' ? 'client' : 'server'}: ${escapeHtml(v.message)}</div>`)
      .join('');
    return `<div class="${classes.filter(Boolean).join(' ')}" id="e${index}">${time}${conn}${middle}${found.length ? `<div></div><div></div>${notes}` : ''}</div>`;
  });

  const meta: Array<[string, string]> = [
    ['source', h.source],
    ['recorded', h.recordedAt],
    ['kit', h.kit],
    ...(h.target ? [['target', h.target] as [string, string]] : []),
    ['connections', String(stats.connections)],
    ['messages', String(stats.json)],
    ['images', `${stats.images} (${formatSize(stats.imageBytes)})`],
  ];
  const verdict =
    violations.length === 0
      ? '<p class="summary ok">No protocol violations seen on the wire.</p>'
      : `<p class="summary"><span class="bad">${errors} violation${errors === 1 ? '' : 's'}</span>${violations.length > errors ? `, <span class="warn">${violations.length - errors} warning(s)</span>` : ''} (marked below).</p>`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<dl class="meta">${meta.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>
${verdict}
<div class="seq" role="table" aria-label="message sequence">
<div class="head">time</div><div class="head">conn</div><div class="head client">Client</div><div class="head"></div><div class="head server">Server</div>
${rows.join('\n')}
</div>
</body>
</html>
`;
}
