import { describe, expect, it } from 'vitest';
import { readCost } from './tree-probe.ts';

describe('readCost: how long a reading of /proc was held up', () => {
  it('a reading that costs what the cheapest did per thread was not held up, whatever the tree’s size', () => {
    const cost = readCost();
    cost.took(5, 10);
    expect(cost.lateMs).toBe(0);
    // Ten times the threads in ten times the time: a bigger tree, not a slower kit.
    cost.took(50, 100);
    expect(cost.lateMs).toBe(0);
    // Cheaper per thread than before (work shared across threads): the new floor, nothing late.
    cost.took(20, 100);
    expect(cost.lateMs).toBe(0);
  });

  it('the time past the cheapest reading’s cost is the kit held up', () => {
    const cost = readCost();
    cost.took(5, 10);
    cost.took(105, 10);
    expect(cost.lateMs).toBe(100);
    cost.took(6, 12);
    expect(cost.lateMs).toBe(0);
  });

  it('an empty tree is read as one thread: its cost still counts', () => {
    const cost = readCost();
    cost.took(2, 0);
    cost.took(72, 0);
    expect(cost.lateMs).toBe(70);
  });
});
