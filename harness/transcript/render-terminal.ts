import pc from 'picocolors';
import { eventBytes } from './event-bytes.ts';
import { summarizeEvent, visible } from './event-summary.ts';
import type { Transcript, TranscriptEvent } from './format.ts';
import { checkEvents, type Violation } from './violations.ts';

// `transcript show`: client on the left, server on the right, one row per event in time order,
// protocol violations under the event that revealed them.

export interface TerminalOptions {
  /** Total width in columns (default 120). */
  width?: number;
  color?: boolean;
  /** Only these connections. */
  conns?: readonly string[];
  /** Wrap long messages instead of cutting them. */
  full?: boolean;
  /** Mark violations (default true). */
  violations?: boolean;
}

type Paint = (text: string) => string;

export function formatTime(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(3)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${((ms % 60_000) / 1000).toFixed(1).padStart(4, '0')}s`;
}

function wrap(text: string, width: number, full: boolean): string[] {
  if (text.length <= width) return [text];
  if (!full) return [`${text.slice(0, width - 1)}…`];
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export interface TranscriptStats {
  events: number;
  connections: number;
  json: number;
  images: number;
  imageBytes: number;
  bytes: { c2s: number; s2c: number };
  errors: number;
}

export function transcriptStats(transcript: Transcript): TranscriptStats {
  const stats: TranscriptStats = { events: transcript.events.length, connections: 0, json: 0, images: 0, imageBytes: 0, bytes: { c2s: 0, s2c: 0 }, errors: 0 };
  const conns = new Set<string>();
  for (const e of transcript.events) {
    conns.add(e.conn);
    if (e.kind === 'json') stats.json += 1;
    if (e.kind === 'image-bytes') {
      stats.images += 1;
      stats.imageBytes += e.length ?? 0;
    }
    if (e.error) stats.errors += 1;
    if (e.dir) stats.bytes[e.dir] += e.kind === 'image-bytes' ? e.length ?? 0 : e.kind === 'image-length' ? 8 : e.length ?? eventBytes(e)?.length ?? 0;
  }
  stats.connections = conns.size;
  return stats;
}

export function renderTerminal(transcript: Transcript, options: TerminalOptions = {}): string {
  const layout = layoutOf(transcript, options);
  const violations = options.violations === false ? [] : checkEvents(transcript.events);
  const byEvent = new Map<number, Violation[]>();
  for (const v of violations) if (v.event !== undefined) byEvent.set(v.event, [...(byEvent.get(v.event) ?? []), v]);
  const out = headerLines(transcript, layout);
  transcript.events.forEach((event, index) => {
    if (layout.filter && !layout.filter.has(event.conn)) return;
    out.push(...eventLines(event, layout));
    for (const v of byEvent.get(index) ?? []) out.push(...violationLines(v, layout));
  });
  out.push(...footerLines(transcript, violations, layout));
  return `${out.join('\n')}\n`;
}

/** The columns: time, connection, then the client and server cells either side of a bar. */
interface Layout {
  colors: Colors;
  width: number;
  full: boolean;
  filter: Set<string> | undefined;
  connWidth: number;
  timeWidth: number;
  prefixWidth: number;
  cell: number;
}

type Colors = ReturnType<typeof pc.createColors>;

function layoutOf(transcript: Transcript, options: TerminalOptions): Layout {
  const width = Math.max(60, options.width ?? 120);
  const connWidth = Math.max(4, ...transcript.events.map((e) => e.conn.length));
  const timeWidth = 10;
  const prefixWidth = timeWidth + 1 + connWidth + 1;
  return {
    colors: pc.createColors(options.color ?? pc.isColorSupported),
    width,
    full: options.full ?? false,
    filter: options.conns && options.conns.length > 0 ? new Set(options.conns) : undefined,
    connWidth,
    timeWidth,
    prefixWidth,
    cell: Math.floor((width - prefixWidth - 3) / 2),
  };
}

function rule({ colors, width, prefixWidth, cell }: Layout): string {
  return colors.dim('─'.repeat(Math.min(width, prefixWidth + cell * 2 + 3)));
}

function headerLines(transcript: Transcript, layout: Layout): string[] {
  const { colors, timeWidth, connWidth, cell } = layout;
  const h = transcript.header;
  return [
    colors.bold(`Transcript ${visible(h.title ?? h.source)}`),
    colors.dim(`  source ${visible(h.source)} · recorded ${h.recordedAt} · kit ${h.kit}${h.target ? ` · target ${visible(h.target)}` : ''}`),
    '',
    colors.bold(`${pad('time', timeWidth)} ${pad('conn', connWidth)} ${pad('client', cell)} │ server`),
    rule(layout),
  ];
}

function paintFor(event: TranscriptEvent, colors: Colors): Paint {
  if (event.error || (event.kind === 'raw' && event.error)) return colors.red;
  switch (event.kind) {
    case 'json':
      return event.dir === 'c2s' ? colors.cyan : colors.green;
    case 'image-length':
    case 'image-bytes':
      return colors.magenta;
    case 'raw':
      return colors.yellow;
    case 'timeout':
      return colors.red;
    default:
      return colors.dim;
  }
}

/** An event's rows: in the client's column (c2s) or the server's (s2c), or across both. */
function eventLines(event: TranscriptEvent, layout: Layout): string[] {
  const { colors, timeWidth, connWidth, prefixWidth, cell, full } = layout;
  const paint = paintFor(event, colors);
  const ids = event.requirements && event.requirements.length > 0 ? ` [${event.requirements.join(', ')}]` : '';
  const body = summarizeEvent(event) + ids;
  const time = pad(formatTime(event.t).padStart(timeWidth), timeWidth);
  const conn = pad(event.conn, connWidth);
  const lead = (first: boolean): string => (first ? `${colors.dim(time)} ${colors.bold(conn)} ` : ' '.repeat(prefixWidth));
  if (event.dir === undefined) {
    // connect and note belong to the connection, not to one side: centred across both columns.
    return wrap(`── ${body} ──`, cell * 2 + 3, full).map((line, i) => lead(i === 0) + paint(line));
  }
  return wrap(body, cell - 2, full).map((line, i) => {
    const arrowLeft = i === 0 ? (event.dir === 'c2s' ? '─▶' : '◀─') : '  ';
    if (event.dir === 'c2s') return `${lead(i === 0)}${paint(pad(line, cell - 2))}${colors.dim(arrowLeft)} │`;
    return `${lead(i === 0)}${' '.repeat(cell)} │${colors.dim(arrowLeft)}${paint(line)}`;
  });
}

/** A violation, under the event that revealed it. */
function violationLines(v: Violation, { colors, width, prefixWidth, full }: Layout): string[] {
  const mark = v.severity === 'error' ? colors.red('✗') : colors.yellow('!');
  const text = `${v.requirements.join(', ')} ${v.dir === 'c2s' ? 'client' : 'server'}: ${visible(v.message)}`;
  return wrap(text, width - prefixWidth - 2, full).map(
    (line, i) => `${' '.repeat(prefixWidth)}${i === 0 ? mark : ' '} ${v.severity === 'error' ? colors.red(line) : colors.yellow(line)}`,
  );
}

function footerLines(transcript: Transcript, violations: readonly Violation[], layout: Layout): string[] {
  const { colors, filter } = layout;
  const stats = transcriptStats(transcript);
  const shownViolations = violations.filter((v) => !filter || filter.has(v.conn));
  const errors = shownViolations.filter((v) => v.severity === 'error').length;
  return [
    rule(layout),
    `${stats.events} events · ${stats.connections} connection${stats.connections === 1 ? '' : 's'} · ${stats.json} messages · ${stats.images} image${stats.images === 1 ? '' : 's'} · client ${stats.bytes.c2s} B · server ${stats.bytes.s2c} B · ` +
      (shownViolations.length === 0
        ? colors.green('no violations')
        : colors.red(`${errors} violation${errors === 1 ? '' : 's'}`) + (shownViolations.length > errors ? colors.yellow(`, ${shownViolations.length - errors} warning(s)`) : '')),
  ];
}
