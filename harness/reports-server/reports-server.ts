import { createReadStream } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { extname, join, relative, resolve, sep } from 'node:path';
import escapeHtml from 'escape-html';
import { TranscriptError, InvalidTranscriptError } from '../transcript/errors.ts';
import { InstaNetError } from '../errors.ts';
import { formatSize } from '../transcript/event-summary.ts';
import { listCaseTranscripts, readCaseTranscript } from '../transcript/load.ts';
import { readTranscript } from '../transcript/read.ts';
import { renderHtml } from '../transcript/render-html.ts';

// `instanet reports serve`: browse runs, gradebooks, per-student reports and transcripts from a
// browser. Read-only, GET/HEAD only, and nothing outside its folder: every path is decoded once,
// resolved, and checked against the folder again after symlinks are followed. Served pages are
// sandboxed by CSP, since reports quote what student servers sent.

export class ReportsDirError extends TranscriptError {
  constructor(message: string, cause?: unknown) {
    super('INSTANET_ERR_REPORTS_DIR', message, { cause });
  }
}

export interface ReportsServerOptions {
  dir: string;
  host?: string;
  port?: number;
}

export interface RunningReportsServer {
  url: string;
  host: string;
  port: number;
  root: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/jsonl; charset=utf-8',
  '.ndjson': 'application/x-ndjson; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
  '.yml': 'text/yaml; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.zip': 'application/zip',
  '.py': 'text/plain; charset=utf-8',
};

/** Our own pages: no script at all. */
const PAGE_CSP = "default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'";
/** Files from the folder (reporters' HTML may carry inline script): an opaque-origin sandbox. */
const FILE_CSP = "sandbox allow-scripts allow-popups; default-src 'self' 'unsafe-inline' data:";

const PAGE_STYLE = `
:root { color-scheme: light dark; }
body { font: 14px/1.5 system-ui, sans-serif; margin: 1.5rem; }
h1 { font-size: 1.25rem; } nav a { text-decoration: none; }
table { border-collapse: collapse; min-width: 40rem; }
th, td { text-align: left; padding: .3rem .8rem; border-bottom: 1px solid #d0d4da; }
td.size, td.mtime { color: #6b7280; font-variant-numeric: tabular-nums; }
.kind { font-size: 12px; padding: 0 .4rem; border-radius: .3rem; background: #8882; }
.empty { color: #6b7280; }
`;

function kindOf(name: string, isDir: boolean): string {
  if (isDir) return 'folder';
  const lower = name.toLowerCase();
  if (lower.endsWith('.jsonl')) return 'transcript';
  if (lower === 'report.json' || lower.endsWith('.report.json')) return 'run report';
  if (lower.includes('gradebook')) return 'gradebook';
  if (lower.includes('junit') && lower.endsWith('.xml')) return 'JUnit';
  if (lower === 'results.json') return 'Gradescope results';
  if (lower.endsWith('.html')) return 'page';
  if (lower.endsWith('.md')) return 'Markdown';
  return '';
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head>
<body>${body}</body></html>
`;
}

/** The URL path of a folder-relative path, each segment encoded. */
function hrefOf(rel: string, isDir: boolean): string {
  const parts = rel.split(sep).filter(Boolean).map(encodeURIComponent);
  return `/${parts.join('/')}${isDir && parts.length > 0 ? '/' : ''}`;
}

function breadcrumbs(rel: string): string {
  const parts = rel.split(sep).filter(Boolean);
  const links = [`<a href="/">reports</a>`];
  parts.forEach((part, i) => {
    links.push(`<a href="${escapeHtml(hrefOf(parts.slice(0, i + 1).join(sep), true))}">${escapeHtml(part)}</a>`);
  });
  return `<nav>${links.join(' / ')}</nav>`;
}

class HttpError extends InstaNetError<'INSTANET_ERR_HTTP'> {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('INSTANET_ERR_HTTP', message);
  }
}

function inside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel));
}

/** Maps a request path to a real path inside root, or throws HttpError. */
async function locate(root: string, rawPath: string): Promise<{ real: string; rel: string; isDir: boolean }> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw new HttpError(400, 'bad percent-encoding in the path');
  }
  if (decoded.includes('\0')) throw new HttpError(400, 'NUL in the path');
  // Refuse rather than normalise: a client asking for ".." is not browsing, it is probing.
  const segments = decoded.split(/[\\/]+/);
  if (segments.some((s) => s === '..')) throw new HttpError(403, 'paths outside the reports folder are refused');
  const candidate = resolve(root, `.${sep}${segments.filter(Boolean).join(sep)}`);
  if (!inside(root, candidate)) throw new HttpError(403, 'paths outside the reports folder are refused');
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new HttpError(404, 'not found');
  }
  // A symlink may point anywhere; only its destination counts.
  if (!inside(root, real)) throw new HttpError(403, 'this link leads outside the reports folder');
  const info = await stat(real);
  if (!info.isDirectory() && !info.isFile()) throw new HttpError(403, 'not a regular file');
  return { real, rel: relative(root, real), isDir: info.isDirectory() };
}

/** The HTML listing of a folder inside root: links out of root and non-regular files are not offered. */
async function listing(root: string, real: string, rel: string): Promise<string> {
  const entries = await readdir(real, { withFileTypes: true });
  const rows: Array<{ name: string; isDir: boolean; size: number; mtime: Date }> = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    try {
      const full = join(real, entry.name);
      const target = await realpath(full);
      if (!inside(root, target)) continue; // links out are not offered (and refused if asked for)
      const info = await stat(target);
      if (!info.isDirectory() && !info.isFile()) continue;
      rows.push({ name: entry.name, isDir: info.isDirectory(), size: info.size, mtime: info.mtime });
    } catch {
      continue; // a dangling link or a file removed meanwhile
    }
  }
  rows.sort((a, b) => Number(b.isDir) - Number(a.isDir) || a.name.localeCompare(b.name));
  const body = rows
    .map((r) => {
      const href = hrefOf(join(rel, r.name), r.isDir);
      const kind = kindOf(r.name, r.isDir);
      const extra = kind === 'run report' ? ` · <a href="${escapeHtml(`${href}?cases`)}">case transcripts</a>` : '';
      return `<tr><td><a href="${escapeHtml(href)}">${escapeHtml(r.name)}${r.isDir ? '/' : ''}</a>${extra}</td><td>${kind ? `<span class="kind">${escapeHtml(kind)}</span>` : ''}</td><td class="size">${r.isDir ? '' : escapeHtml(formatSize(r.size))}</td><td class="mtime">${escapeHtml(r.mtime.toISOString().replace('T', ' ').slice(0, 19))}</td></tr>`;
    })
    .join('\n');
  const title = rel ? `reports/${rel.split(sep).join('/')}` : 'reports';
  return page(
    `InstaNet ${title}`,
    `<h1>InstaNet reports: ${escapeHtml(title)}</h1>${breadcrumbs(rel)}
<table><thead><tr><th>name</th><th>kind</th><th>size</th><th>modified (UTC)</th></tr></thead><tbody>
${body || '<tr><td colspan="4" class="empty">empty folder</td></tr>'}
</tbody></table>`,
  );
}

/**
 * The headers of every response with a body, a page of ours or a file: its type and length, the CSP
 * that sandboxes it, no type sniffing (a .txt a student wrote must not run as HTML), no caching.
 */
function bodyHeaders(type: string, length: number, csp: string): OutgoingHttpHeaders {
  return {
    'content-type': type,
    'content-length': length,
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  };
}

function send(res: ServerResponse, req: IncomingMessage, status: number, type: string, body: string, csp = PAGE_CSP): void {
  const bytes = Buffer.from(body);
  res.writeHead(status, bodyHeaders(type, bytes.length, csp));
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

async function streamFile(req: IncomingMessage, res: ServerResponse, file: string, type: string): Promise<void> {
  const info = await stat(file);
  res.writeHead(200, bodyHeaders(type, info.size, FILE_CSP));
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** A run report's case, its transcript rendered (…/report.json?case=ID). */
async function caseTranscriptPage(req: IncomingMessage, res: ServerResponse, real: string, shown: string, query: URLSearchParams): Promise<void> {
  const id = query.get('case') ?? '';
  try {
    const transcript = await readCaseTranscript(real, id);
    send(res, req, 200, 'text/html; charset=utf-8', renderHtml(transcript, { title: `Transcript of case ${id} (${shown})` }));
  } catch (error) {
    if (!(error instanceof TranscriptError)) throw error;
    throw new HttpError(error.code === 'INSTANET_ERR_NO_SUCH_CASE' ? 404 : 422, error.message);
  }
}

/** A run report's cases that carry a transcript (…/report.json?cases). */
async function caseListPage(req: IncomingMessage, res: ServerResponse, real: string, rel: string, shown: string): Promise<void> {
  let cases;
  try {
    cases = await listCaseTranscripts(real);
  } catch (error) {
    if (!(error instanceof TranscriptError)) throw error;
    throw new HttpError(422, error.message);
  }
  const base = hrefOf(rel, false);
  const rows = cases
    .map((c) => `<tr><td><a href="${escapeHtml(`${base}?case=${encodeURIComponent(c.id)}`)}">${escapeHtml(c.id)}</a></td><td>${escapeHtml(c.title)}</td><td><span class="kind">${escapeHtml(c.verdict)}</span></td><td class="size">${c.events} events</td></tr>`)
    .join('\n');
  send(
    res,
    req,
    200,
    'text/html; charset=utf-8',
    page(`Case transcripts of ${shown}`, `<h1>Case transcripts of ${escapeHtml(shown)}</h1>${breadcrumbs(rel)}<table><thead><tr><th>case</th><th>title</th><th>verdict</th><th>transcript</th></tr></thead><tbody>${rows || '<tr><td colspan="4" class="empty">no case carries a transcript</td></tr>'}</tbody></table>`),
  );
}

/** A transcript file rendered, or why it is not one (…/x.jsonl; ?raw serves the bytes). */
async function transcriptPage(req: IncomingMessage, res: ServerResponse, real: string, rel: string): Promise<void> {
  try {
    const transcript = await readTranscript(real);
    send(res, req, 200, 'text/html; charset=utf-8', renderHtml(transcript, { title: `Transcript ${rel.split(sep).join('/')}` }));
  } catch (error) {
    if (!(error instanceof InvalidTranscriptError)) throw error;
    const issues = error.issues.slice(0, 50).map((i) => `<li>line ${i.line}: ${escapeHtml(i.message)}</li>`).join('');
    send(res, req, 422, 'text/html; charset=utf-8', page('Not a valid transcript', `<h1>Not a valid transcript</h1>${breadcrumbs(rel)}<ul>${issues}</ul><p><a href="?raw">raw file</a></p>`));
  }
}

/** One request: a folder (its index.html or a listing), a run report's cases, a transcript, or a file. */
async function handle(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('only GET and HEAD\n');
    return;
  }
  const rawUrl = req.url ?? '/';
  const queryAt = rawUrl.indexOf('?');
  const rawPath = queryAt >= 0 ? rawUrl.slice(0, queryAt) : rawUrl;
  const query = new URLSearchParams(queryAt >= 0 ? rawUrl.slice(queryAt + 1) : '');
  if (!rawPath.startsWith('/')) throw new HttpError(400, 'the path must start with /');
  const { real, rel, isDir } = await locate(root, rawPath);
  if (isDir) {
    if (!rawPath.endsWith('/')) {
      res.writeHead(301, { location: `${hrefOf(rel, true)}` });
      res.end();
      return;
    }
    // A folder with its own index.html (the HTML reporter's) shows that, unless ?list asks otherwise.
    if (!query.has('list')) {
      const index = join(real, 'index.html');
      const info = await lstat(index).catch(() => undefined);
      if (info?.isFile()) {
        await streamFile(req, res, index, TYPES['.html']!);
        return;
      }
    }
    send(res, req, 200, 'text/html; charset=utf-8', await listing(root, real, rel));
    return;
  }
  const ext = extname(real).toLowerCase();
  const shown = rel.split(sep).join('/');
  if (ext === '.json' && query.has('case')) return caseTranscriptPage(req, res, real, shown, query);
  if (ext === '.json' && query.has('cases')) return caseListPage(req, res, real, rel, shown);
  if (ext === '.jsonl' && !query.has('raw')) return transcriptPage(req, res, real, rel);
  await streamFile(req, res, real, TYPES[ext] ?? 'application/octet-stream');
}

export async function startReportsServer(options: ReportsServerOptions): Promise<RunningReportsServer> {
  let root: string;
  try {
    root = await realpath(resolve(options.dir));
    if (!(await stat(root)).isDirectory()) throw new Error('not a folder');
  } catch (error) {
    throw new ReportsDirError(`cannot serve ${options.dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (error as Error).message}`, error);
  }

  const server = createServer((req, res) => {
    handle(root, req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : 'internal error';
      if (res.headersSent) {
        res.destroy();
        return;
      }
      send(res, req, status, 'text/html; charset=utf-8', page(`${status}`, `<h1>${status}</h1><p>${escapeHtml(message)}</p><p><a href="/">reports</a></p>`));
    });
  });
  try {
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    await once(server, 'listening');
  } catch (error) {
    throw new TranscriptError('INSTANET_ERR_REPORTS_LISTEN', `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${(error as Error).message}`, { cause: error });
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port ?? 0;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    host,
    port,
    root,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
