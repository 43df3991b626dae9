import net from 'node:net';
import { spawnedTarget } from '/work/wt-evidence/harness/targets/spawned-target.ts';
import { openEvidenceWindow } from '/work/wt-evidence/harness/runner/server-evidence.ts';
const target = spawnedTarget({ command: 'python3 server.py --port {port}', cwd: '/work/wt-evidence/fixtures/submissions/correct' });
const inst = await target.start();
const times: number[] = []; const settled: boolean[] = [];
for (let i = 0; i < 20; i++) {
  const s = net.connect(inst.port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  s.write('{"action": "get_all_users"}');
  await new Promise((r) => s.once('data', r));
  s.destroy();
  const t = performance.now();
  const w = await openEvidenceWindow(inst);
  times.push(Math.round(performance.now() - t)); settled.push(w.settled);
}
console.log(JSON.stringify({ times, settled }));
await inst.stop();
