import net from 'node:net';
import { encodeJson, FrameDecoder } from '../../spec/codec/index.ts';

// A server can listen and still never answer (it reads until the peer closes, it deadlocks). Every
// case would then wait out its timeout; one login with a short deadline tells that apart first, so
// such a submission costs seconds, not the whole suite's timeouts.

export type ProbeResult = { ok: true } | { ok: false; detail: string };

export function probeLogin(port: number, username: string, password: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const decoder = new FrameDecoder();
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, detail: `no reply to login within ${timeoutMs / 1000} s (the server listens but never answers)` }),
      timeoutMs,
    );
    socket.on('connect', () => {
      socket.write(encodeJson({ action: 'login', username, password }));
    });
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      try {
        if (decoder.next()) finish({ ok: true });
      } catch {
        // Bytes that are not a JSON object are still an answer: the cases will judge them.
        finish({ ok: true });
      }
    });
    socket.on('close', () => finish({ ok: true }));
    socket.on('error', (error) => finish({ ok: false, detail: `login probe failed: ${error.message}` }));
  });
}
