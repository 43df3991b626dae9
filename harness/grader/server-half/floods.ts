import { formatBytes, HEAD_LINES, TAIL_LINES, type OutputVolume } from '../../process/timed-lines.ts';
import type { RunReport } from '../../runner/report-format.ts';
import { UNREAD_MAX_BYTES } from '../../runner/connection.ts';
import { CASE_CONNECTION_MAX_BYTES } from '../../runner/wire-log.ts';
import { eventBytes } from '../../transcript/event-bytes.ts';

// A hand-in that floods is named by its status, with the figure, whatever its points: the points
// are the cases' own. A server flooding its clients with bytes beyond its replies hurts the course
// app (its client would parse garbage), and the cases it hits fail on their own merits; a flood of
// stdout costs the course app nothing, so it is reported, never charged.

export interface Flood {
  status: 'wire-flood' | 'output-flood';
  detail: string;
}

/**
 * One server instance's output counts as a flood past this many bytes, and only once lines were
 * dropped from its capture: an honest server prints a line or two a request, kilobytes in a suite.
 */
export const OUTPUT_FLOOD_BYTES = 1024 * 1024;

export function isOutputFlood(volume: OutputVolume): boolean {
  return volume.droppedLines > 0 && volume.bytes >= OUTPUT_FLOOD_BYTES;
}

/** "printed 812.0 MiB (425,000,000 lines) in 2.1 s on one server instance; kept the first 50 and the last 2,000 lines" */
export function outputFlood(volumes: readonly OutputVolume[]): Flood | undefined {
  const worst = volumes.filter(isOutputFlood).sort((a, b) => b.bytes - a.bytes)[0];
  if (!worst) return undefined;
  const seconds = Math.max(0, worst.lastAt - worst.firstAt) / 1000;
  return {
    status: 'output-flood',
    detail:
      `printed ${formatBytes(worst.bytes)} (${worst.lines.toLocaleString('en-US')} lines) in ${seconds.toFixed(1)} s on one server instance; `
      + `kept the first ${HEAD_LINES} and the last ${TAIL_LINES.toLocaleString('en-US')} lines`,
  };
}

/**
 * The connection of the suite whose server sent the most bytes past what a case transcript keeps
 * (the recorder's notes count them in `dropped`): none when every reply fitted.
 */
export function wireFlood(report: RunReport | undefined): Flood | undefined {
  let worst: { caseId: string; sent: number; dropped: number; frames: number } | undefined;
  for (const c of report?.cases ?? []) {
    const byConn = new Map<string, { sent: number; dropped: number; frames: number }>();
    for (const e of c.transcript) {
      if (e.dir !== 's2c') continue;
      const seen = byConn.get(e.conn) ?? { sent: 0, dropped: 0, frames: 0 };
      byConn.set(e.conn, seen);
      if (e.kind === 'note') {
        seen.dropped += e.dropped ?? 0;
        seen.sent += e.dropped ?? 0;
        // The recorder's wording, "N bytes in M frames not recorded" (harness/transcript/recorder.ts).
        if (e.dropped) seen.frames += Number(/(\d+) frames/.exec(e.note ?? '')?.[1] ?? 0);
      } else if (e.kind === 'json' || e.kind === 'raw') seen.sent += e.length ?? eventBytes(e)?.length ?? 0;
    }
    for (const seen of byConn.values()) if (seen.dropped > 0 && (!worst || seen.dropped > worst.dropped)) worst = { caseId: c.id, ...seen };
  }
  if (!worst) return undefined;
  const mb = (n: number) => `${(n / 1_000_000).toFixed(1)} MB`;
  return {
    status: 'wire-flood',
    detail:
      `sent at least ${mb(worst.sent)} on one connection (case ${worst.caseId}), far beyond its replies (the kit reads no more `
      + `than ${formatBytes(UNREAD_MAX_BYTES)} a server sends unasked): ${mb(worst.dropped)} in ${worst.frames.toLocaleString('en-US')} `
      + `frames past the ${formatBytes(CASE_CONNECTION_MAX_BYTES)} a case transcript keeps were not recorded`,
  };
}
