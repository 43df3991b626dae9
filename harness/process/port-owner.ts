import { readdir, readFile, readlink } from 'node:fs/promises';

// A port picked as free can be bound by someone else (another test worker, another grader job)
// before the server we started binds it. Our server then fails to bind, while a connect probe
// succeeds against the stranger, and every case would talk to the wrong server. So a readiness
// probe asks the kernel who holds the listening socket.

const LISTEN = '0A';

/** Inodes of the sockets listening on `port`, any local address, IPv4 and IPv6. */
async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== LISTEN) continue;
      if (fields[1]?.split(':')[1] !== hexPort) continue;
      inodes.add(fields[9]!);
    }
  }
  return inodes;
}

/** `root` and every process descended from it (a sandbox puts the server a few levels down). */
async function processTree(root: number): Promise<Set<number>> {
  const parentOf = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields that follow start after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(rest[1]));
    } catch {
      // exited meanwhile
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parentOf) {
      if (!tree.has(pid) && tree.has(parent)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return tree;
}

/**
 * Whether a process of the tree rooted at `rootPid` holds the socket listening on `port`: false when
 * the listener is someone else's, undefined when /proc cannot tell (no listener seen, not Linux).
 */
export async function listenerOwnedBy(port: number, rootPid: number): Promise<boolean | undefined> {
  let inodes: Set<string>;
  try {
    inodes = await listeningInodes(port);
  } catch {
    return undefined;
  }
  if (inodes.size === 0) return undefined;
  let readable = false;
  for (const pid of await processTree(rootPid)) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
      readable = true;
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`));
        if (match && inodes.has(match[1]!)) return true;
      } catch {
        // closed meanwhile
      }
    }
  }
  // Without root, a sandbox that runs as another uid hides its descendants' sockets: not knowing is
  // not the same as a stranger holding the port.
  return readable ? false : undefined;
}
