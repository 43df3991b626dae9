import { chownSync, lchownSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

// A grader running as root must not run student code as root, not even "root mapped to uid 1000":
// that root can read /etc/shadow, and RLIMIT_NPROC does not bind it. Every sandbox therefore runs as
// its own unprivileged host uid from a range no account uses, so the process limit (counted per
// uid) binds per sandbox, and one sandbox can neither signal nor ptrace another.

export const SANDBOX_UID_BASE = 200_000;
export const SANDBOX_UID_COUNT = 100_000;
// A uid handed out is kept back this long even before its process shows in /proc (the gap between
// wrapping a command and spawning it); after that, "some process runs as it" is what keeps it taken.
const LEASE_MS = 10 * 60_000;

const leased = new Map<number, number>();
// A random start per grader process, so two graders on one machine walk different parts of the range.
let next = Math.floor(Math.random() * SANDBOX_UID_COUNT);

/** Effective uids of the processes alive now (the owner of /proc/<pid>). */
function uidsInUse(): Set<number> {
  const out = new Set<number>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      out.add(statSync(`/proc/${entry}`).uid);
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** A host uid (== gid) no live process and no recent sandbox of this grader uses. */
export function allocateSandboxUid(): number {
  const now = Date.now();
  for (const [uid, at] of leased) if (now - at > LEASE_MS) leased.delete(uid);
  const busy = uidsInUse();
  for (let i = 0; i < SANDBOX_UID_COUNT; i++) {
    const uid = SANDBOX_UID_BASE + ((next + i) % SANDBOX_UID_COUNT);
    if (leased.has(uid) || busy.has(uid)) continue;
    next = (next + i + 1) % SANDBOX_UID_COUNT;
    leased.set(uid, now);
    return uid;
  }
  throw new Error('no free sandbox uid');
}

/** Gives `dir` and everything in it to uid:uid (links are changed, never followed). */
export function chownTree(dir: string, uid: number): void {
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop() as string;
    chownSync(current, uid, uid);
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else {
        try {
          lchownSync(full, uid, uid);
        } catch {
          /* a socket or file removed meanwhile */
        }
      }
    }
  }
}
