import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type BenchOptions } from '../bench-entry.ts';

export const description =
  'instanet start-up: wall time of --version, --help and command --help for the built bin (dist/) and the tsx entry, against bare `node -e 0` (ratio = command / node); '
  + 'and `instanet client … users` from spawn to its first byte at a local listener (aim < 500 ms); '
  + 'what students run, same rounds: `instanet --version` installed from `npm pack` into a fresh prefix (aim <= 1.5x node) and the single executable\'s (`npm run build:sea`)';

const BUILT = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));
const TSX_ENTRY = fileURLToPath(new URL('../../cli/instanet.mjs', import.meta.url));
const DIST_MAIN = fileURLToPath(new URL('../../../dist/harness/cli/main.js', import.meta.url));
const KIT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SEA = path.join(KIT_ROOT, 'dist-sea', `instanet-${process.platform}-${process.arch}`);
const INSTALLED_TARGET = 1.5;
const TARGET_MS = 300;
const FIRST_BYTE_TARGET_MS = 500;

/** A command: the program and its arguments (node itself, unless named). */
type Run = { file?: string; args: string[] };

const RUNS: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'instanet --version': [BUILT, '--version'],
  'instanet --help': [BUILT, '--help'],
  'instanet test --help': [BUILT, 'test', '--help'],
  'instanet grade --help': [BUILT, 'grade', '--help'],
  'instanet serve --help': [BUILT, 'serve', '--help'],
  'instanet transcript --help': [BUILT, 'transcript', '--help'],
  'tsx entry --version': [TSX_ENTRY, '--version'],
};

function timeOnce({ file = process.execPath, args }: Run): number {
  const start = process.hrtime.bigint();
  const run = spawnSync(file, args, { stdio: 'ignore', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${run.status ?? run.signal}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * The bin a student gets from `npm install -g` of the tarball, in a prefix of its own (its `#!/usr/bin/env
 * node` line included), and the single executable, built if missing. Set-up, not timed.
 */
function studentCommands(log: (line: string) => void): { runs: Record<string, Run>; cleanup: () => void } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'instanet-bench-'));
  log('packing and installing the kit into a fresh prefix (not timed)…');
  execFileSync('npm', ['pack', '--pack-destination', tmp], { cwd: KIT_ROOT, stdio: 'ignore', timeout: 600_000 });
  const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack made no tarball');
  execFileSync('npm', ['install', '-g', '--prefix', path.join(tmp, 'prefix'), '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, tarball)], { cwd: tmp, stdio: 'ignore', timeout: 600_000 });
  if (!existsSync(SEA)) {
    log('building the single executable (not timed)…');
    execFileSync('npm', ['run', 'build:sea'], { cwd: KIT_ROOT, stdio: 'ignore', timeout: 600_000 });
  }
  return {
    runs: {
      'installed instanet --version': { file: path.join(tmp, 'prefix', 'bin', 'instanet'), args: ['--version'] },
      'executable --version': { file: SEA, args: ['--version'] },
    },
    cleanup: () => rmSync(tmp, { recursive: true, force: true }),
  };
}

/**
 * Spawn to the first byte of `instanet client --port P … users` at a real listener on 127.0.0.1: the
 * client's start-up plus its connect and login write. The listener never answers; the client is
 * killed once the byte is in.
 */
async function firstByteOnce(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [BUILT, 'client', '--port', String(port), '--user', 'user1', '--password', '123', 'users'], { stdio: 'ignore' });
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('instanet client sent nothing within 30 s')), 30_000);
      child.once('exit', (code) => reject(new Error(`instanet client exited ${code} before sending a byte`)));
      server.once('connection', (socket) => socket.once('data', () => {
        clearTimeout(timer);
        resolve(Number(process.hrtime.bigint() - start) / 1e6);
      }));
    });
  } finally {
    child.kill('SIGKILL');
    for (const socket of sockets) socket.destroy();
    server.close();
  }
}

export async function run(options: BenchOptions): Promise<unknown> {
  if (!existsSync(DIST_MAIN)) throw new Error('dist/ is missing: run `npm run build` first');
  const rounds = options.quick ? 5 : 20;
  const student = studentCommands(options.log);
  const runs: Record<string, Run> = { ...Object.fromEntries(Object.entries(RUNS).map(([name, args]) => [name, { args }])), ...student.runs };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  try {
    // Warm the file cache (and let the executable unpack its files once); not counted.
    for (const name of ['instanet --version', ...Object.keys(student.runs)]) timeOnce(runs[name]!);
    // Interleaved, so a burst of load from elsewhere on the machine hits every command alike.
    for (let round = 0; round < rounds; round++) {
      for (const [name, run] of Object.entries(runs)) samples[name]!.push(timeOnce(run));
    }
  } finally {
    student.cleanup();
  }
  const nodeMedian = median([...samples['node -e 0']!].sort((a, b) => a - b));
  const commands = Object.fromEntries(
    Object.entries(samples).map(([name, times]) => {
      const sorted = [...times].sort((a, b) => a - b);
      const med = median(sorted);
      return [name, { medianMs: Math.round(med), bestMs: Math.round(sorted[0]!), ratioToNode: Math.round((med / nodeMedian) * 100) / 100 }];
    }),
  );
  for (const [name, c] of Object.entries(commands)) options.log(`${name}: median ${c.medianMs} ms (x${c.ratioToNode} node)`);
  const builtMedians = Object.entries(commands).filter(([name]) => name.startsWith('instanet')).map(([, c]) => c.medianMs);
  const installedRatio = commands['installed instanet --version']!.ratioToNode;
  const firstBytes: number[] = [];
  for (let round = 0; round < rounds; round++) firstBytes.push(await firstByteOnce());
  const firstByteMs = Math.round(median([...firstBytes].sort((a, b) => a - b)));
  options.log(`instanet client users, spawn to first byte: median ${firstByteMs} ms`);
  return {
    rounds,
    commands,
    targetMs: TARGET_MS,
    targetMet: builtMedians.every((ms) => ms < TARGET_MS),
    installed: { ratioToNode: installedRatio, target: INSTALLED_TARGET, targetMet: installedRatio <= INSTALLED_TARGET },
    clientFirstByte: { medianMs: firstByteMs, bestMs: Math.round(Math.min(...firstBytes)), targetMs: FIRST_BYTE_TARGET_MS, targetMet: firstByteMs < FIRST_BYTE_TARGET_MS },
  };
}
