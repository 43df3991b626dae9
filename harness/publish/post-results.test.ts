import { createServer, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { postResults } from './post-results.ts';

interface Received {
  body: string;
  headers: IncomingMessage['headers'];
}

async function serve(statuses: Array<number | 'hang'>): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      if (status === 'hang') return; // never answers: the client's timeout must end it
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'stored' : `status ${status}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  servers.push(server);
  return { server, url: `http://127.0.0.1:${port}/hook`, received };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

describe('postResults', () => {
  it('retries 5xx with backoff and delivers the same JSON with the same idempotency key', async () => {
    const { url, received } = await serve([500, 503, 200]);
    const retries: number[] = [];
    const outcome = await postResults(url, { run: 'r1', verdicts: { PASSED: 3 } }, { backoffMs: 10, retries: 3, onRetry: (i) => retries.push(i.attempt) });
    expect(outcome).toEqual({ status: 200, attempts: 3, body: 'stored' });
    expect(retries).toEqual([1, 2]);
    expect(received).toHaveLength(3);
    expect(received.map((r) => JSON.parse(r.body))).toEqual(Array(3).fill({ run: 'r1', verdicts: { PASSED: 3 } }));
    expect(received[0]!.headers['content-type']).toMatch(/^application\/json/);
    expect(new Set(received.map((r) => r.headers['idempotency-key'])).size).toBe(1);
  });

  it('does not retry a 4xx', async () => {
    const { url, received } = await serve([422, 200]);
    await expect(postResults(url, {}, { backoffMs: 10 })).rejects.toMatchObject({
      code: 'INSTANET_ERR_POST_RESULTS_REJECTED',
      status: 422,
      attempts: 1,
    });
    expect(received).toHaveLength(1);
  });

  it('gives up after the retries with the last reason', async () => {
    const { url, received } = await serve([502]);
    await expect(postResults(url, {}, { backoffMs: 5, retries: 2 })).rejects.toMatchObject({
      code: 'INSTANET_ERR_POST_RESULTS_FAILED',
      status: 502,
      attempts: 3,
      message: expect.stringContaining('HTTP 502'),
    });
    expect(received).toHaveLength(3);
  });

  it('retries network errors (nothing listening) and times out a receiver that never answers', async () => {
    const { server, url } = await serve([200]);
    const closedUrl = url;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await expect(postResults(closedUrl, {}, { backoffMs: 5, retries: 1 })).rejects.toMatchObject({
      code: 'INSTANET_ERR_POST_RESULTS_FAILED',
      attempts: 2,
      message: expect.stringContaining('ECONNREFUSED'),
    });
    const hanging = await serve(['hang']);
    await expect(postResults(hanging.url, {}, { timeoutMs: 200, backoffMs: 5, retries: 1 })).rejects.toMatchObject({
      code: 'INSTANET_ERR_POST_RESULTS_FAILED',
      attempts: 2,
    });
    expect(hanging.received).toHaveLength(2);
  });

  it('refuses a URL that is not http(s) before sending anything', async () => {
    await expect(postResults('ftp://example.org/x', {})).rejects.toMatchObject({ code: 'INSTANET_ERR_POST_RESULTS_URL' });
    await expect(postResults('not a url', {})).rejects.toMatchObject({ code: 'INSTANET_ERR_POST_RESULTS_URL' });
  });
});
