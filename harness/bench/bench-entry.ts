/** Options every benchmark entry receives from `npm run bench`. */
export interface BenchOptions {
  /** Smaller workloads (CI smoke run): same code paths, figures less stable. */
  quick: boolean;
  /** Progress lines for the console (stderr); results go in the returned value. */
  log: (line: string) => void;
}

/** A module in harness/bench/entries/<name>.ts. The result is written as JSON, so it must be JSON-able. */
export interface BenchEntryModule {
  description?: string;
  run(options: BenchOptions): unknown;
}

/** Runs `fn` `rounds` times and returns the durations in ms, best first. */
export function timeRounds(rounds: number, fn: () => void): number[] {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

/** Throughput in MB/s (10^6 bytes per second). */
export function mbPerSecond(bytes: number, ms: number): number {
  return Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;
}

export function median(sorted: number[]): number {
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
