import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type ServerMode } from '../../../reference/server/index.ts';
import { InstaNetClient } from '../../../reference/client/index.ts';
import { loadImage, steppingClock, type CourseFlow } from './course-flows.ts';
import type { Transcript } from '../../transcript/format.ts';
import { startProxy } from '../../transcript/proxy.ts';
import { TranscriptRecorder } from '../../transcript/recorder.ts';

// Records one course flow the way a person would with `instanet proxy`: a fresh reference server,
// the recording proxy in front of it, the SDK talking to the proxy.

export interface RecordFlowOptions {
  mode?: ServerMode;
  /** Longest wait for the connections to close once the flow is done. */
  settleMs?: number;
}

export async function recordFlow(flow: CourseFlow, options: RecordFlowOptions = {}): Promise<Transcript> {
  const dataDir = await mkdtemp(join(tmpdir(), 'instanet-flow-'));
  const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', mode: options.mode ?? 'strict', logger: false });
  const recorder = new TranscriptRecorder({
    source: `flow:${flow.name}`,
    title: flow.title,
    target: `reference server (${options.mode ?? 'strict'} mode)`,
  });
  const proxy = await startProxy({ listenPort: 0, upstreamHost: server.host, upstreamPort: server.port, recorder });
  const clients: InstaNetClient[] = [];
  const clock = steppingClock();
  try {
    await flow.run({
      host: proxy.host,
      port: proxy.port,
      open: async () => {
        const client = await InstaNetClient.connect({ host: proxy.host, port: proxy.port, timeoutMs: 5000, clock });
        clients.push(client);
        return client;
      },
      image: (name) => loadImage(name),
    });
    for (const client of clients) await client.close();
    // Closing is asynchronous through the proxy: wait (boundedly) until every connection has ended.
    const deadline = Date.now() + (options.settleMs ?? 3000);
    while (proxy.accepted > 0 && Date.now() < deadline) {
      if ([...recorder.connections.values()].every((c) => c.isClosed)) break;
      await sleep(10);
    }
  } finally {
    for (const client of clients) client.destroy();
    await proxy.close();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  return recorder.transcript();
}
