import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InstaNetError } from '../errors.ts';
import { v1Places, v2Place, type V1Places } from './cgroup-mounts.ts';

// bubblewrap and prlimit limit each process; a hand-in is many processes (a server instance per
// lane, the client half's runner, whatever they fork or setsid), and per-process limits add up: 64
// busy loops after os.setsid() took an honest neighbour from 100 to 7.64, and memory held through
// memfd_create is not address space, so RLIMIT_AS never sees it (12.5 GiB in one process). A box is
// one cgroup per hand-in holding all of its processes: an equal CPU share (cpu.shares / cpu.weight:
// the box as a whole competes as one, however much it forks), a memory limit over every page it
// owns (a memory cgroup charges shmem, memfd and tmpfs pages to the cgroup that touched them, not
// only mapped anonymous memory), and a pids limit. The kit's own processes (the grader, the judge,
// the reference server, the relays) run in a kit box with a much larger share, so student code
// cannot starve the clock that judges it. prlimit stays, as defence in depth.
//
// Backends, picked once, strongest first: cgroup v2 (a writable cgroup2 folder with cpu, memory and
// pids, e.g. a systemd scope delegated to the user), cgroup v1 (cpu, cpuacct, memory, pids trees
// writable, e.g. as root), else none: then the grader says so once and nothing is pretended.

export type BoxKind = 'cgroup2' | 'cgroup1' | 'none';

export interface BoxPlan {
  kind: BoxKind;
  /** Printed once per run when there is no box. */
  warning?: string;
}

export interface BoxLimits {
  /** Every page of the hand-in together: anonymous, page cache, shmem, memfd, tmpfs. */
  memoryMiB: number;
  /** Processes and threads of the hand-in together. */
  pids: number;
}

export interface BoxMemory {
  peakBytes: number;
  limitBytes: number;
  /** The kernel could not keep the box under its limit and killed a process of it (OOM). */
  limitHit: boolean;
}

export interface Box {
  readonly name: string;
  readonly kind: Exclude<BoxKind, 'none'>;
  readonly limits: BoxLimits;
  /** The box's folders, one per cgroup tree (for a report; the methods below read them). */
  readonly folders: readonly string[];
  /**
   * `argv` prefixed by a step that puts the process in the box and only then execs it: the box holds
   * it before it runs any student code, so nothing it forks escapes. If joining fails, the shell
   * exits (status 125) and `argv` never runs.
   */
  enter(argv: readonly string[]): string[];
  /** Every thread of every process in the box (reads one file; no process is spawned). */
  tids(): Promise<number[]>;
  /** CPU time the box has used, all its threads, living and dead (reads one file). */
  cpuUsageNs(): Promise<number>;
  memory(): Promise<BoxMemory>;
  /** How many times a fork or clone was refused at the box's pids limit. */
  pidsRefused(): Promise<number>;
  /** Kills everything still in the box, then removes it. Safe to call twice. */
  destroy(): Promise<void>;
}

export class ResourceBoxError extends InstaNetError<'INSTANET_ERR_RESOURCE_BOX'> {
  constructor(message: string) {
    super('INSTANET_ERR_RESOURCE_BOX', message);
  }
}

/** Every box this kit makes is named `instanet-<grader pid>-…`: the stale sweep touches nothing else. */
const PREFIX = 'instanet-';
const OWN_PREFIX = `${PREFIX}${process.pid}-`;
/** A hand-in's share against the kit's: the kit's processes are a few, mostly waiting, never starved. */
const HANDIN_SHARES = 1024;
const KIT_SHARES = 16 * 1024;
const HANDIN_WEIGHT = 100;
const KIT_WEIGHT = 1600;
const MIB = 1024 * 1024;
/** The joining step's exit status when the box cannot be joined (as env(1) for "could not run"). */
export const BOX_ENTER_FAILED = 125;

const NO_BOX_WARNING =
  'no resource box (no writable cgroup v2 with cpu, memory and pids, nor cgroup v1 trees): hand-ins graded side by side '
  + 'are limited per process only (prlimit), so neighbours can affect each other\'s timing and memory';

/**
 * INSTANET_RESOURCE_BOX=none: no box even where cgroups work (a machine whose cgroups another tool
 * owns; measuring what a box changes). The grader then says so, as on a machine without cgroups.
 */
const OFF_VARIABLE = 'INSTANET_RESOURCE_BOX';
function boxesOff(): boolean {
  return process.env[OFF_VARIABLE] === 'none';
}

// ---------------------------------------------------------------------------------------------
// The backend: where boxes go, found once per process.

interface Backend {
  kind: Exclude<BoxKind, 'none'>;
  /** The folders a box is one child folder of, one per tree (one for v2). */
  parents: string[];
  /** Moves the grader into its kit box (made here), which must hold it before any box is made. */
  enterKit(): KitBox;
  create(name: string, limits: BoxLimits): Box;
  /** The grader's own processes' box, while it is in it. */
  kit?: KitBox | undefined;
}

interface KitBox {
  dir: string;
  /** Where the grader was before joining its kit box. */
  before: string;
  /** Undone on leaving (v2: the controllers given to the grader's folder's children). */
  undo?: () => void;
}

let backend: Promise<Backend | undefined> | undefined;
/** The settled backend, for the synchronous exit handler. */
let backendNow: Backend | undefined;
let counter = 0;
const live = new Set<Box>();

/**
 * Which backend this machine offers, probed once (a real box is made and removed), stale boxes of
 * killed graders swept. The grader moves into its kit box here, so everything it starts from now on
 * (the judge, the reference server) is in it: call leaveKitBox() when the run is over.
 */
export async function planBoxes(): Promise<BoxPlan> {
  if (boxesOff()) return { kind: 'none', warning: NO_BOX_WARNING.replace(/^no resource box \([^)]*\)/, `no resource box (${OFF_VARIABLE}=none)`) };
  const found = await findBackend();
  if (found && !ensureKit(found)) return { kind: 'none', warning: NO_BOX_WARNING };
  return found ? { kind: found.kind } : { kind: 'none', warning: NO_BOX_WARNING };
}

function findBackend(): Promise<Backend | undefined> {
  backend ??= (async () => {
    for (const make of [cgroup2Backend, cgroup1Backend]) {
      const found = tryBackend(make);
      if (found) {
        sweepStale(found.parents);
        backendNow = found;
        process.once('exit', destroyAllSync);
        return found;
      }
    }
    return undefined;
  })();
  return backend;
}

function tryBackend(make: () => Backend | undefined): Backend | undefined {
  let candidate: Backend | undefined;
  try {
    candidate = make();
    if (!candidate) return undefined;
    // The proof is a box made, limited and removed: a mount that looks writable may still refuse.
    if (!ensureKit(candidate)) return undefined;
    const probe = candidate.create(`${OWN_PREFIX}probe-${counter++}`, { memoryMiB: 64, pids: 16 });
    destroySync(probe);
    return candidate;
  } catch {
    if (candidate) leaveKitSync(candidate);
    return undefined;
  }
}

function ensureKit(found: Backend): boolean {
  if (found.kit) return true;
  try {
    found.kit = found.enterKit();
    return true;
  } catch {
    return false;
  }
}

/** A box for one hand-in (or a test). Names get this process's prefix and a counter: unique per run. */
export async function createBox(name: string, limits: BoxLimits): Promise<Box | undefined> {
  if (boxesOff()) return undefined;
  const found = await findBackend();
  if (!found || !ensureKit(found)) return undefined;
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60);
  const box = found.create(`${OWN_PREFIX}${counter++}-${safe}`, limits);
  live.add(box);
  return box;
}

/** The grader back where it was, its kit box removed (what it started is its own to stop). */
export async function leaveKitBox(): Promise<void> {
  const found = await findBackend();
  if (found) leaveKitSync(found);
}

function leaveKitSync(found: Backend): void {
  const kit = found.kit;
  if (!kit) return;
  found.kit = undefined;
  kit.undo?.();
  tryWrite(path.join(kit.before, 'cgroup.procs'), String(process.pid));
  // Children of the grader still running (they should not be) keep the folder: a later sweep takes it.
  tryRmdir(kit.dir);
}

/** Makes `dir` and moves the grader into it; undone if anything after that fails. */
function kitIn(parent: string, setUp: (dir: string) => (() => void) | void): KitBox {
  const dir = path.join(parent, `${OWN_PREFIX}kit`);
  if (!existsSync(dir)) mkdirSync(dir);
  try {
    writeFileSync(path.join(dir, 'cgroup.procs'), String(process.pid));
    const undo = setUp(dir);
    return { dir, before: parent, ...(undo ? { undo } : {}) };
  } catch (error) {
    tryWrite(path.join(parent, 'cgroup.procs'), String(process.pid));
    tryRmdir(dir);
    throw error;
  }
}

/** Whether a thread belongs to the box: /proc/<tid>/cgroup names the box's folder (one small read). */
export async function ownsTid(box: Box, tid: number): Promise<boolean> {
  try {
    const text = await readFile(`/proc/${tid}/cgroup`, 'utf8');
    return text.split('\n').some((line) => line.endsWith(`/${box.name}`));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// cgroup v2

function cgroup2Backend(): Backend | undefined {
  const place = v2Place();
  if (!place) return undefined;
  const controllers = readFileSync(path.join(place.dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  if (!['cpu', 'memory', 'pids'].every((c) => controllers.includes(c))) return undefined;
  const parent = place.dir;
  const subtree = path.join(parent, 'cgroup.subtree_control');
  const enabled = () => readFileSync(subtree, 'utf8').trim().split(/\s+/);
  return {
    kind: 'cgroup2',
    parents: [parent],
    enterKit: () =>
      kitIn(parent, (dir) => {
        // No internal processes on v2: the grader's folder can give its children controllers only
        // once the grader has left it for its kit box, and only if nothing else is left in it.
        const had = enabled();
        const missing = ['cpu', 'memory', 'pids'].filter((c) => !had.includes(c));
        if (missing.length > 0) writeFileSync(subtree, missing.map((c) => `+${c}`).join(' '));
        writeFileSync(path.join(dir, 'cpu.weight'), String(KIT_WEIGHT));
        return missing.length > 0 ? () => tryWrite(subtree, missing.map((c) => `-${c}`).join(' ')) : undefined;
      }),
    create(name, limits) {
      const dir = path.join(parent, name);
      mkdirSync(dir);
      try {
        writeFileSync(path.join(dir, 'cpu.weight'), String(HANDIN_WEIGHT));
        writeFileSync(path.join(dir, 'memory.max'), String(limits.memoryMiB * MIB));
        // Swap would let pages leave the box's count while still being held.
        tryWrite(path.join(dir, 'memory.swap.max'), '0');
        writeFileSync(path.join(dir, 'pids.max'), String(limits.pids));
      } catch (error) {
        tryRmdir(dir);
        throw error;
      }
      return cgroupBox(name, 'cgroup2', limits, {
        all: [dir],
        procs: [dir],
        threads: path.join(dir, 'cgroup.threads'),
        cpu: async () => 1000 * Number(/usage_usec (\d+)/.exec(await readFile(path.join(dir, 'cpu.stat'), 'utf8'))?.[1] ?? 0),
        memory: async () => {
          const events = await readFile(path.join(dir, 'memory.events'), 'utf8');
          const peak = await readNumber(path.join(dir, 'memory.peak')).catch(() => readNumber(path.join(dir, 'memory.current')));
          return { peakBytes: peak, limitBytes: limits.memoryMiB * MIB, limitHit: eventCount(events, 'oom_kill') > 0 };
        },
        pidsRefused: async () => eventCount(await readFile(path.join(dir, 'pids.events'), 'utf8'), 'max'),
        kill: existsSync(path.join(dir, 'cgroup.kill')) ? path.join(dir, 'cgroup.kill') : undefined,
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// cgroup v1

function cgroup1Backend(): Backend | undefined {
  const places: V1Places = v1Places();
  const { cpu, cpuacct, memory, pids } = places;
  if (!cpu || !cpuacct || !memory || !pids) return undefined;
  // cpu and cpuacct are often one tree ("cpu,cpuacct"): one folder, made once.
  const parents = [...new Set([cpu, cpuacct, memory, pids])];
  return {
    kind: 'cgroup1',
    parents,
    // Only the CPU share matters for the kit: its memory stays counted where the grader's was.
    enterKit: () => kitIn(cpu, (dir) => writeFileSync(path.join(dir, 'cpu.shares'), String(KIT_SHARES))),
    create(name, limits) {
      const made: string[] = [];
      const dirOf = (parent: string) => path.join(parent, name);
      try {
        for (const parent of parents) {
          mkdirSync(dirOf(parent));
          made.push(dirOf(parent));
        }
        writeFileSync(path.join(dirOf(cpu), 'cpu.shares'), String(HANDIN_SHARES));
        writeFileSync(path.join(dirOf(memory), 'memory.limit_in_bytes'), String(limits.memoryMiB * MIB));
        tryWrite(path.join(dirOf(memory), 'memory.memsw.limit_in_bytes'), String(limits.memoryMiB * MIB));
        writeFileSync(path.join(dirOf(pids), 'pids.max'), String(limits.pids));
      } catch (error) {
        for (const dir of made) tryRmdir(dir);
        throw error;
      }
      const mem = dirOf(memory);
      return cgroupBox(name, 'cgroup1', limits, {
        all: made,
        procs: made,
        threads: path.join(dirOf(cpuacct), 'tasks'),
        cpu: () => readNumber(path.join(dirOf(cpuacct), 'cpuacct.usage')),
        memory: async () => {
          const oom = await readFile(path.join(mem, 'memory.oom_control'), 'utf8');
          return {
            peakBytes: await readNumber(path.join(mem, 'memory.max_usage_in_bytes')),
            limitBytes: limits.memoryMiB * MIB,
            limitHit: eventCount(oom, 'oom_kill') > 0 || eventCount(oom, 'under_oom') > 0,
          };
        },
        pidsRefused: async () => eventCount(await readFile(path.join(dirOf(pids), 'pids.events'), 'utf8').catch(() => ''), 'max'),
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One box, whatever the version.

interface BoxFiles {
  /** Every folder of the box (one per tree). */
  all: string[];
  /** Folders whose cgroup.procs the joining step writes. */
  procs: string[];
  threads: string;
  cpu: () => Promise<number>;
  memory: () => Promise<BoxMemory>;
  pidsRefused: () => Promise<number>;
  /** v2's cgroup.kill: every process of the box killed at once, forks in flight included. */
  kill?: string | undefined;
}

interface BoxInternals extends Box {
  files: BoxFiles;
  destroyed: boolean;
}

function cgroupBox(name: string, kind: Exclude<BoxKind, 'none'>, limits: BoxLimits, files: BoxFiles): BoxInternals {
  // `$$` is the shell itself; exec keeps its pid, so what runs is the process that joined.
  const join = files.procs.map((dir) => `echo $$ > '${path.join(dir, 'cgroup.procs')}'`).join(' && ');
  const script = `{ ${join}; } 2>/dev/null || { echo "instanet: could not enter the resource box ${name}" >&2; exit ${BOX_ENTER_FAILED}; }; exec "$@"`;
  const box: BoxInternals = {
    name,
    kind,
    limits,
    folders: files.all,
    files,
    destroyed: false,
    enter: (argv) => ['/bin/sh', '-c', script, 'instanet-box', ...argv],
    tids: async () => numbers(await readFile(files.threads, 'utf8').catch(() => '')),
    cpuUsageNs: () => files.cpu(),
    memory: () => files.memory(),
    pidsRefused: () => files.pidsRefused(),
    destroy: async () => {
      await killAll(box);
      await removeDirsWhenFree(box);
    },
  };
  for (const dir of files.all) if (/['\\]/.test(dir)) throw new ResourceBoxError(`a cgroup folder with a quote in its name: ${dir}`);
  return box;
}

/** How long the kill of a box may take: a killed process must still be scheduled to die. */
const KILL_ALL_MS = 30_000;

/**
 * SIGKILL every process in the box until none is left: a process forking while the list is read is
 * caught on the next round (its child joins the box before it can run). Bounded in time, not rounds:
 * on a busy machine hundreds of killed processes (fork-many's) took longer than 200 short rounds to
 * die, and the box outlived its grade. A process stuck in the kernel (D state) may outlive even this
 * bound, and the folder is then left to the next start's sweep.
 */
async function killAll(box: BoxInternals): Promise<void> {
  if (box.destroyed) return;
  if (box.files.kill) tryWrite(box.files.kill, '1');
  const until = performance.now() + KILL_ALL_MS;
  for (let round = 0; performance.now() < until; round++) {
    const pids = procsOf(box.files.all);
    if (pids.length === 0) return;
    for (const pid of pids) signal(pid);
    await new Promise((resolve) => setTimeout(resolve, round < 20 ? 5 : 25));
  }
}

/** How long a box's emptied folders may refuse removal: the last killed processes are still being reaped. */
const REMOVE_DIRS_MS = 5_000;

/** Removes the box's folders, retrying while the kernel still holds them (seen: the twin's box left behind on a busy machine). */
async function removeDirsWhenFree(box: BoxInternals): Promise<void> {
  const until = performance.now() + REMOVE_DIRS_MS;
  removeDirs(box);
  while (!box.destroyed && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (procsOf(box.files.all).length > 0) await killAll(box);
    removeDirs(box);
  }
}

function removeDirs(box: BoxInternals): void {
  if (box.destroyed) return;
  let left = false;
  for (const dir of box.files.all) if (!tryRmdir(dir)) left = existsSync(dir) || left;
  box.destroyed = !left;
  if (box.destroyed) live.delete(box);
}

/** On exit (a normal end, Ctrl-C, process.exit): what is still boxed is killed, its folders removed. */
function destroySync(box: Box): void {
  const b = box as BoxInternals;
  if (b.files.kill) tryWrite(b.files.kill, '1');
  for (let round = 0; round < 50; round++) {
    const pids = procsOf(b.files.all);
    if (pids.length === 0) break;
    for (const pid of pids) signal(pid);
    // A synchronous pause (no event loop on exit): the kernel needs a moment to reap them.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
  removeDirs(b);
}

function destroyAllSync(): void {
  for (const box of [...live]) destroySync(box);
  const found = backendNow;
  if (found) leaveKitSync(found);
}

function procsOf(dirs: readonly string[]): number[] {
  const out = new Set<number>();
  for (const dir of dirs) {
    try {
      for (const pid of numbers(readFileSync(path.join(dir, 'cgroup.procs'), 'utf8'))) out.add(pid);
    } catch {
      /* removed already */
    }
  }
  return [...out];
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone already */
  }
}

/**
 * Boxes of a grader that was killed (its pid no longer alive): their processes killed and their
 * folders removed. Only this kit's own naming; a box whose grader is still running is left alone.
 */
function sweepStale(parents: readonly string[]): void {
  for (const parent of parents) {
    let entries: string[];
    try {
      entries = readdirSync(parent);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const owner = /^instanet-(\d+)-/.exec(entry)?.[1];
      if (!owner || Number(owner) === process.pid || alive(Number(owner))) continue;
      const dir = path.join(parent, entry);
      for (let round = 0; round < 50; round++) {
        const pids = procsOf([dir]);
        if (pids.length === 0) break;
        for (const pid of pids) signal(pid);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
      tryRmdir(dir);
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---------------------------------------------------------------------------------------------
// Small file helpers.

function numbers(text: string): number[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

async function readNumber(file: string): Promise<number> {
  const value = Number((await readFile(file, 'utf8')).trim());
  if (!Number.isFinite(value)) throw new ResourceBoxError(`${file} holds no number`);
  return value;
}

/** "name value" lines (memory.events, pids.events, memory.oom_control): the value, 0 when absent. */
function eventCount(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

function tryWrite(file: string, value: string, fallbackDir?: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    if (fallbackDir) return tryWrite(path.join(fallbackDir, path.basename(file)), value);
    return false;
  }
}

function tryRmdir(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
