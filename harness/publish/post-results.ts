import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { KIT_VERSION } from '../base/kit-version.ts';
import { InstaNetError } from '../errors.ts';

// `--post-results URL` on `test` and `grade`: send the report to a webhook (a course dashboard, a CI
// collector). Network failures and 5xx are worth retrying; a 4xx means the request itself is wrong
// and sending it again would not help (429 excepted: the server asked us to come back later).
// Every attempt carries the same Idempotency-Key, so a receiver can drop a retried duplicate.

export class PostResultsError extends InstaNetError {
  readonly status: number | undefined;
  readonly attempts: number;
  constructor(code: string, message: string, details: { status?: number; attempts: number; cause?: unknown }) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.attempts = details.attempts;
  }
}

export interface PostResultsOptions {
  /** Per attempt, from connecting to the end of the response. Default 10 s. */
  timeoutMs?: number;
  /** Attempts after the first. Default 3. */
  retries?: number;
  /** First wait between attempts; doubles each time (with jitter). Default 500 ms. */
  backoffMs?: number;
  headers?: Record<string, string>;
  /** Told about each failed attempt that will be retried. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export interface PostResultsOutcome {
  status: number;
  attempts: number;
  /** The response body (first 64 KiB), e.g. a URL the receiver returns. */
  body: string;
}

const MAX_RESPONSE_CHARS = 64 * 1024;

function describeNetworkError(error: unknown): string {
  const err = error as { code?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  return code ? `${code}${err.message && !err.message.includes(code) ? ` (${err.message})` : ''}` : String(err.message ?? error);
}

export async function postResults(url: string, body: unknown, options: PostResultsOptions = {}): Promise<PostResultsOutcome> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new PostResultsError('INSTANET_ERR_POST_RESULTS_URL', `--post-results: not a URL: ${url}`, { attempts: 0 });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new PostResultsError('INSTANET_ERR_POST_RESULTS_URL', `--post-results: only http and https URLs, got ${target.protocol}`, { attempts: 0 });
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = Math.max(0, options.retries ?? 3);
  const backoffMs = Math.max(0, options.backoffMs ?? 500);
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': `instanet-conformance-kit/${KIT_VERSION}`,
    'idempotency-key': randomUUID(),
    ...options.headers,
  };

  let lastReason = '';
  let lastStatus: number | undefined;
  for (let attempt = 1; attempt <= retries + 1; attempt += 1) {
    let retryAfterMs: number | undefined;
    try {
      const response = await request(target, {
        method: 'POST',
        body: payload,
        headers,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = (await response.body.text()).slice(0, MAX_RESPONSE_CHARS);
      lastStatus = response.statusCode;
      if (response.statusCode >= 200 && response.statusCode < 300) {
        return { status: response.statusCode, attempts: attempt, body: text };
      }
      lastReason = `HTTP ${response.statusCode}${text ? `: ${text.slice(0, 200).trim()}` : ''}`;
      const retryable = response.statusCode >= 500 || response.statusCode === 429;
      if (!retryable) {
        throw new PostResultsError('INSTANET_ERR_POST_RESULTS_REJECTED', `--post-results: ${url} refused the results (${lastReason})`, {
          status: response.statusCode,
          attempts: attempt,
        });
      }
      const header = response.headers['retry-after'];
      const seconds = Number(Array.isArray(header) ? header[0] : header);
      if (Number.isFinite(seconds) && seconds >= 0) retryAfterMs = Math.min(seconds * 1000, 60_000);
    } catch (error) {
      if (error instanceof PostResultsError) throw error;
      lastStatus = undefined;
      lastReason = describeNetworkError(error);
    }
    if (attempt > retries) break;
    const base = backoffMs * 2 ** (attempt - 1);
    // Half fixed, half random: many graders retrying at once do not hit the receiver in step.
    const delayMs = retryAfterMs ?? Math.round(base / 2 + Math.random() * (base / 2));
    options.onRetry?.({ attempt, delayMs, reason: lastReason });
    await sleep(delayMs);
  }
  throw new PostResultsError(
    'INSTANET_ERR_POST_RESULTS_FAILED',
    `--post-results: could not deliver to ${url} after ${retries + 1} attempt(s): ${lastReason}`,
    { ...(lastStatus !== undefined ? { status: lastStatus } : {}), attempts: retries + 1 },
  );
}
