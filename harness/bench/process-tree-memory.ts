import { readdir, readFile } from 'node:fs/promises';

// Peak memory of a process and everything it started (the grader, its sandboxes and Python
// servers), sampled from /proc: the figure a TA's machine must have free, not just Node's heap.

async function snapshot(): Promise<Map<number, { ppid: number; rssKiB: number }>> {
  const out = new Map<number, { ppid: number; rssKiB: number }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const ppid = /^PPid:\s+(\d+)/m.exec(status);
    if (!ppid) continue;
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    out.set(Number(entry), { ppid: Number(ppid[1]), rssKiB: rss ? Number(rss[1]) : 0 });
  }
  return out;
}

/** Resident memory (KiB) of `root` and its descendants now, and of `root` alone. */
export async function treeRss(root: number): Promise<{ treeKiB: number; rootKiB: number; processes: number }> {
  const procs = await snapshot();
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  let treeKiB = 0;
  let processes = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop() as number;
    const p = procs.get(pid);
    if (!p) continue;
    treeKiB += p.rssKiB;
    processes += 1;
    stack.push(...(children.get(pid) ?? []));
  }
  return { treeKiB, rootKiB: procs.get(root)?.rssKiB ?? 0, processes };
}

/** Samples treeRss every `everyMs` until stop(); returns the peaks seen. */
export function samplePeakMemory(root: number, everyMs = 250): { stop(): Promise<{ peakTreeMiB: number; peakGraderMiB: number; peakProcesses: number }> } {
  let peakTree = 0;
  let peakRoot = 0;
  let peakProcesses = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const now = await treeRss(root).catch(() => undefined);
      if (now) {
        peakTree = Math.max(peakTree, now.treeKiB);
        peakRoot = Math.max(peakRoot, now.rootKiB);
        peakProcesses = Math.max(peakProcesses, now.processes);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const mib = (kib: number) => Math.round(kib / 102.4) / 10;
      return { peakTreeMiB: mib(peakTree), peakGraderMiB: mib(peakRoot), peakProcesses };
    },
  };
}
