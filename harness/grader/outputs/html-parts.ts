import escapeHtml from 'escape-html';

// Shared bits of the grader's two pages. Both are single self-contained files (inline CSS and JS,
// no network), so they open from a zip, an LMS upload or a CI artifact alike.

export const esc = (value: unknown): string => escapeHtml(String(value ?? ''));

export const BASE_CSS = `
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2328}
header{padding:16px 24px;border-bottom:1px solid var(--line);background:var(--bg)}h1{margin:0 0 4px;font-size:20px}
main{padding:16px 24px;max-width:1200px}h2{font-size:16px;margin:24px 0 8px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);position:sticky;top:0}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:var(--muted)}.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
.pill{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;border:1px solid var(--line)}
.pill.ok{background:#dafbe1}.pill.bad{background:#ffebe9}.pill.warn{background:#fff8c5}
code,pre{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}pre{white-space:pre-wrap;background:var(--bg);padding:8px;border-radius:6px;max-height:300px;overflow:auto}
details{margin:4px 0}summary{cursor:pointer}.hint{background:#ddf4ff;border-radius:6px;padding:4px 8px;margin:4px 0}
.bar{display:inline-block;height:10px;background:#0969da;border-radius:2px;vertical-align:middle}
`;

export function verdictClass(verdict: string): string {
  if (verdict === 'PASSED') return 'ok';
  if (verdict === 'FAILED' || verdict === 'ERROR') return 'bad';
  return 'warn';
}

export function statusClass(status: string): string {
  // A flood costs no points by itself: a warning, as the kit's own error is.
  return status === 'ok' ? 'ok' : status === 'error' || status === 'kit-error' || status.endsWith('-flood') ? 'warn' : 'bad';
}

export function page(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${BASE_CSS}</style></head>
<body>${body}${script ? `<script>${script}</script>` : ''}</body></html>
`;
}
