import { describe, expect, test } from 'vitest';
import type { Target, TargetInstance } from '../../targets/target.ts';
import { limitStarts } from './start-limit.ts';

const instance = (port: number): TargetInstance => ({
  host: '127.0.0.1',
  port,
  output: () => ({ stdout: '', stderr: '' }),
  stop: async () => ({ status: 'ok' as const }),
});

/** A target whose every start() waits until the test settles it. */
function manualTarget() {
  const pending: { port: number; resolve: (i: TargetInstance) => void; reject: (e: Error) => void }[] = [];
  let next = 0;
  const target: Target = {
    description: 'manual',
    start: () => new Promise<TargetInstance>((resolve, reject) => pending.push({ port: next++, resolve, reject })),
  };
  return { target, pending };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('limitStarts', () => {
  test('at most N starts in flight; the others start in the order they were asked for', async () => {
    const { target, pending } = manualTarget();
    const limited = limitStarts(target, 2);
    const ports = [0, 1, 2, 3].map(() => limited.start().then((i) => i.port, () => 'rejected'));
    await settle();
    expect(pending.map((p) => p.port)).toEqual([0, 1]);
    pending[1]?.resolve(instance(1));
    await settle();
    expect(pending.map((p) => p.port)).toEqual([0, 1, 2]);
    // A failed start frees its slot too.
    pending[0]?.reject(new Error('crashed'));
    await settle();
    expect(pending.map((p) => p.port)).toEqual([0, 1, 2, 3]);
    pending[2]?.resolve(instance(2));
    pending[3]?.resolve(instance(3));
    expect(await Promise.all(ports)).toEqual(['rejected', 1, 2, 3]);
  });

  test('a start asked for while a slot is being handed over does not overshoot the limit', async () => {
    const { target, pending } = manualTarget();
    const limited = limitStarts(target, 1);
    const first = limited.start();
    const second = limited.start();
    await settle();
    pending[0]?.resolve(instance(0));
    const third = limited.start(); // asked for before the second's turn has run
    await settle();
    expect(pending.map((p) => p.port)).toEqual([0, 1]);
    pending[1]?.resolve(instance(1));
    await settle();
    expect(pending.map((p) => p.port)).toEqual([0, 1, 2]);
    pending[2]?.resolve(instance(2));
    expect((await Promise.all([first, second, third])).map((i) => i.port)).toEqual([0, 1, 2]);
  });
});
