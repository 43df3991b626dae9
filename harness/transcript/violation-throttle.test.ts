import { describe, expect, it } from 'vitest';
import { ViolationThrottle } from './violation-throttle.ts';

describe('violation lines are rate-limited per connection (issue 14)', () => {
  it('prints K per second per connection, then sums up the rest in one line', () => {
    let now = 0;
    const throttle = new ViolationThrottle(3, () => now);
    const printed = Array.from({ length: 10 }, () => throttle.admit('c1').print);
    expect(printed).toEqual([true, true, true, false, false, false, false, false, false, false]);
    // Another connection has its own budget.
    expect(throttle.admit('c2').print).toBe(true);
    // The next window starts by summing up what the last one suppressed.
    now = 1000;
    expect(throttle.admit('c1')).toEqual({ print: true, suppressedBefore: 7 });
    for (let i = 0; i < 5; i += 1) throttle.admit('c1');
    expect(throttle.drainConnection('c1')).toBe(3);
    expect(throttle.drainConnection('c1')).toBe(0);
  });

  it('drain() sums up the windows that ended, or all of them when the proxy stops', () => {
    let now = 0;
    const throttle = new ViolationThrottle(1, () => now);
    for (let i = 0; i < 4; i += 1) throttle.admit('a');
    now = 500;
    for (let i = 0; i < 3; i += 1) throttle.admit('b');
    now = 1200;
    expect(throttle.drain()).toEqual([{ conn: 'a', suppressed: 3 }]);
    expect(throttle.drain(true)).toEqual([{ conn: 'b', suppressed: 2 }]);
    expect(throttle.drain(true)).toEqual([]);
  });
});
