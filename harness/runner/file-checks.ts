import path from 'node:path';
import { DEFAULT_LIMITS } from '../../spec/codec/index.ts';
import { conversationFileName } from '../../spec/messages/index.ts';
import type { FileCheck } from '../scenarios/format.ts';
import { sleep } from './connection.ts';
import { describePattern, match } from './matchers.ts';
import { CaseSkip, StepFailure } from './step-failure.ts';
import { sha256 } from './wire-log.ts';
import { readUntrustedFile, untrustedEntryExists, UntrustedFileError } from '../workspace-files/index.ts';

// Checks of the server's data folder (DATA-1, POST-2, DM-5, SEC-1): only possible when the target
// exposes it, so against --target host:port these cases are SKIPPED, never guessed.

interface FileContext {
  dataDir: string | undefined;
  lastImage: Buffer | undefined;
}

// The server's folder is the student's: every read goes through the untrusted reader (no links, no
// FIFOs or devices, bounded size and time), with the codec's own ceilings as the caps.
const JSON_READ = { maxBytes: DEFAULT_LIMITS.maxJsonBytes, timeoutMs: 5000 };
const IMAGE_READ = { maxBytes: DEFAULT_LIMITS.maxImageBytes, timeoutMs: 5000 };

/** What the submission left there is not a plain file of its own: a FAILED check saying so, no content. */
function asFailure(error: unknown, expectedToExist: string): unknown {
  if (!(error instanceof UntrustedFileError)) return error;
  if (error.code === 'INSTANET_ERR_UNTRUSTED_MISSING') return new StepFailure('files', expectedToExist, 'no such file');
  // A read that ran out of time says more about this machine's load than about the file (a pipe or a
  // device is refused before any read), so it is a timeout, judged again before it costs a point.
  if (error.code === 'INSTANET_ERR_UNTRUSTED_TIMEOUT') return new StepFailure('timeout', `${error.file} to be read`, error.message);
  return new StepFailure('files', `${error.file} to be the server's own plain file or folder (not a link, pipe or device)`, error.message);
}

async function readJsonFile(dataDir: string, rel: string): Promise<unknown> {
  let text: string;
  try {
    text = (await readUntrustedFile(path.dirname(dataDir), path.join('data', rel), JSON_READ)).toString('utf8');
  } catch (error) {
    throw asFailure(error, `data/${rel} to exist`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StepFailure('files', `data/${rel} to hold valid JSON`, `${(error as Error).message}: ${text.slice(0, 200)}`);
  }
}

async function checkEntry(dataDir: string, rel: string, pattern: unknown, image: Buffer | undefined): Promise<void> {
  const list = await readJsonFile(dataDir, rel);
  if (!Array.isArray(list)) throw new StepFailure('files', `data/${rel} to hold a list`, JSON.stringify(list).slice(0, 200));
  const entry = list.find((e) => match(pattern, e).length === 0) as Record<string, unknown> | undefined;
  if (!entry) {
    throw new StepFailure('files', `an entry of data/${rel} matching ${describePattern(pattern)}`, `${list.length} entr${list.length === 1 ? 'y' : 'ies'}, none matching: ${JSON.stringify(list.slice(-3)).slice(0, 300)}`);
  }
  if (!image) return;
  const imagePath = entry.image_path;
  if (typeof imagePath !== 'string') throw new StepFailure('files', 'the entry to carry an image_path', JSON.stringify(entry).slice(0, 200));
  let bytes: Buffer;
  try {
    // image_path as the course stores it is relative to the server's folder (data/images/...).
    bytes = await readUntrustedFile(path.dirname(dataDir), imagePath, IMAGE_READ);
  } catch (error) {
    throw asFailure(error, `the image file ${imagePath}`);
  }
  if (!bytes.equals(image)) {
    throw new StepFailure(
      'files',
      `${imagePath} to hold exactly the ${image.length} bytes sent (sha256 ${sha256(image).slice(0, 16)}…)`,
      `${bytes.length} bytes (sha256 ${sha256(bytes).slice(0, 16)}…)`,
    );
  }
}

async function checkOnce(spec: FileCheck, ctx: FileContext, dataDir: string): Promise<void> {
  const image = spec.image === 'last' ? ctx.lastImage : undefined;
  if (spec.image === 'last' && !image) throw new Error('internal: image: last, but this case sent no image');
  if (spec.json !== undefined) {
    const value = await readJsonFile(dataDir, spec.json);
    if (spec.expect !== undefined) {
      const mismatches = match(spec.expect, value);
      if (mismatches.length) throw new StepFailure('files', `data/${spec.json}: ${describePattern(spec.expect)}`, JSON.stringify(value).slice(0, 300), mismatches);
    }
  }
  if (spec.post !== undefined) await checkEntry(dataDir, 'posts/posts.json', spec.post, image);
  if (spec.dm !== undefined) {
    const [a, b] = spec.dm.users;
    await checkEntry(dataDir, `messages/${conversationFileName(a, b)}`, spec.dm.match, image);
  }
  for (const rel of spec.absent ?? []) {
    const full = path.resolve(dataDir, rel);
    const exists = await untrustedEntryExists(path.dirname(dataDir), full, JSON_READ).catch((error: unknown) => {
      throw asFailure(error, `no file at ${path.relative(path.dirname(dataDir), full)}`);
    });
    if (exists) {
      throw new StepFailure('files', `no file at ${path.relative(path.dirname(dataDir), full)} (a name must not escape data/)`, 'the file exists');
    }
  }
}

export async function checkFiles(spec: FileCheck, ctx: FileContext, timeoutMs: number): Promise<void> {
  const dataDir = ctx.dataDir;
  if (!dataDir) throw new CaseSkip("the target does not expose its data folder (use --server ... --cwd DIR to check files)");
  // A server may write just after it replies; give it a moment before calling the files wrong.
  const deadline = Date.now() + Math.min(timeoutMs, 1000);
  for (;;) {
    try {
      await checkOnce(spec, ctx, dataDir);
      return;
    } catch (error) {
      if (!(error instanceof StepFailure) || Date.now() >= deadline) throw error;
      await sleep(50);
    }
  }
}
