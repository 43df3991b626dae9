import { readFileSync } from 'node:fs';
import path from 'node:path';

// Where this process sits in the cgroup trees: the folders a box is made under. A box is always a
// child of the grader's own cgroup in each tree (never of the root), so whatever holds the grader
// (a systemd scope, a container, a CI job's memory cgroup) still holds its hand-ins.

/** The cgroup v2 folder this process is in, when a cgroup2 file system is mounted. */
export interface V2Place {
  dir: string;
}

/** Per cgroup v1 controller: the folder this process is in, in that controller's tree. */
export type V1Places = Partial<Record<V1Controller, string>>;
export type V1Controller = 'cpu' | 'cpuacct' | 'memory' | 'pids';
const V1_CONTROLLERS: readonly V1Controller[] = ['cpu', 'cpuacct', 'memory', 'pids'];

interface Mount {
  dir: string;
  /** The folder of the tree the mount shows (a container sees its own subtree as '/'). */
  root: string;
  fsType: string;
  superOptions: string[];
}

/** /proc/self/mountinfo: "id parent maj:min root mountpoint opts [tags] - fstype source superopts". */
function mounts(): Mount[] {
  const out: Mount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions] = right.split(' ');
    if (!fsType || fields.length < 5) continue;
    out.push({ dir: unescape(fields[4] ?? ''), root: unescape(fields[3] ?? '/'), fsType, superOptions: (superOptions ?? '').split(',') });
  }
  return out;
}

/** mountinfo escapes spaces and the like as \040. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** /proc/self/cgroup: "id:controllers:/path" per tree ("0::/path" is v2). */
function memberships(): { controllers: string[]; path: string }[] {
  return readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, controllers = '', ...rest] = line.split(':');
      return { controllers: controllers ? controllers.split(',') : [], path: rest.join(':') };
    });
}

/** The folder of `cgroupPath` under a mount that shows the tree from `mount.root`. */
function under(mount: Mount, cgroupPath: string): string {
  const rel = path.posix.relative(mount.root, cgroupPath);
  return rel.startsWith('..') ? mount.dir : path.join(mount.dir, rel);
}

export function v2Place(): V2Place | undefined {
  const mount = mounts().find((m) => m.fsType === 'cgroup2');
  const mine = memberships().find((m) => m.controllers.length === 0 && !m.path.startsWith('/..'));
  if (!mount || !mine) return undefined;
  return { dir: under(mount, mine.path) };
}

export function v1Places(): V1Places {
  const all = mounts().filter((m) => m.fsType === 'cgroup');
  const mine = memberships();
  const places: V1Places = {};
  for (const controller of V1_CONTROLLERS) {
    const mount = all.find((m) => m.superOptions.includes(controller));
    const member = mine.find((m) => m.controllers.includes(controller));
    if (mount && member) places[controller] = under(mount, member.path);
  }
  return places;
}
