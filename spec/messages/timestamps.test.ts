import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DmTimestamp, formatDmTimestamp, formatPostTimestamp, PostTimestamp } from './timestamps.ts';

describe('timestamps', () => {
  const date = new Date(2025, 4, 3, 1, 2, 9, 45);

  it('formats post timestamps as strftime does', () => {
    expect(formatPostTimestamp(date)).toBe('2025-05-03 01:02:09');
    expect(formatPostTimestamp(new Date(Date.UTC(999, 0, 1, 0, 0, 0)), { utc: true })).toBe('0999-01-01 00:00:00');
    expect(PostTimestamp.safeParse(formatPostTimestamp(date)).success).toBe(true);
  });

  it('formats DM timestamps as isoformat() does', () => {
    expect(formatDmTimestamp(date)).toBe('2025-05-03T01:02:09.045000');
    expect(formatDmTimestamp(new Date(2025, 4, 3, 1, 2, 9, 0))).toBe('2025-05-03T01:02:09');
    expect(formatDmTimestamp(date, { microseconds: 917 })).toBe('2025-05-03T01:02:09.000917');
    expect(formatDmTimestamp(new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)), { utc: true })).toBe('2025-01-02T03:04:05.006000');
    expect(DmTimestamp.safeParse(formatDmTimestamp(date)).success).toBe(true);
    expect(() => formatDmTimestamp(date, { microseconds: 1_000_000 })).toThrow(RangeError);
    expect(() => formatPostTimestamp(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('matches Python byte for byte', () => {
    const cases = [
      [2025, 5, 13, 21, 52, 29, 123456],
      [2025, 1, 1, 0, 0, 0, 0],
      [1999, 12, 31, 23, 59, 59, 1],
    ] as const;
    const python = execFileSync(
      'python3',
      ['-c', 'import json,sys,datetime as d; print(json.dumps([[d.datetime(*c).isoformat(), d.datetime(*c).strftime("%Y-%m-%d %H:%M:%S")] for c in json.load(sys.stdin)]))'],
      { input: JSON.stringify(cases), timeout: 10_000 },
    );
    const ours = cases.map(([y, mo, d, h, mi, s, us]) => {
      const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
      return [formatDmTimestamp(at, { utc: true, microseconds: us }), formatPostTimestamp(at, { utc: true })];
    });
    expect(ours).toEqual(JSON.parse(python.toString()));
  });

  it('refuses other formats', () => {
    for (const bad of ['2025-05-13T21:52:29', '2025-5-13 21:52:29', '../x', '2025-05-13 21:52:29\n']) expect(PostTimestamp.safeParse(bad).success).toBe(false);
    for (const bad of ['2025-05-13 21:52:29', '2025-05-13T21:52:29.12', '2025-05-13T21:52:29Z', '']) expect(DmTimestamp.safeParse(bad).success).toBe(false);
    expect(DmTimestamp.safeParse('2025-05-13T21:52:29.123456+03:00').success).toBe(true);
  });
});
