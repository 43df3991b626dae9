import { encodeJson } from '../../../spec/codec/index.ts';
import type { ProgressProbe } from '../../process/own-time.ts';
import { ScenarioConnection } from '../../runner/connection.ts';
import { StepFailure } from '../../runner/step-failure.ts';
import { WireLog } from '../../runner/wire-log.ts';

// A server can listen and still never answer (it reads until the peer closes, it deadlocks). Every
// case would then wait out its timeout; one login tells that apart first, so such a submission costs
// seconds, not the whole suite's timeouts. It waits as every case does, in the server's own time
// (harness/process/own-time.ts): a busy machine never makes an honest server fail it, and a server
// that is provably stuck fails it at once. The kit's own failure (KitBusyError) is thrown.

export type ProbeResult = { ok: true } | { ok: false; detail: string };

export async function probeLogin(port: number, username: string, password: string, timeoutMs: number, progress?: ProgressProbe): Promise<ProbeResult> {
  const wire = new WireLog('login probe');
  let conn: ScenarioConnection | undefined;
  try {
    conn = await ScenarioConnection.open('probe', '127.0.0.1', port, timeoutMs, wire, progress);
    await conn.write([encodeJson({ action: 'login', username, password })], 0, 'json', 'the login request');
    await conn.readJson(timeoutMs, 'a reply to login');
    return { ok: true };
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
    // Bytes that are not a JSON object, or a close, are still an answer: the cases will judge them.
    if (error.kind !== 'timeout' && error.kind !== 'refused') return { ok: true };
    if (error.kind === 'refused') return { ok: false, detail: `login probe failed: ${error.actual}` };
    return { ok: false, detail: `no reply to login (the server listens but never answers): ${error.actual}` };
  } finally {
    conn?.destroy();
    wire.finish('end of probe');
  }
}
