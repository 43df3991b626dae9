import type { BenchEntryModule } from '../bench-entry.ts';

/**
 * The benchmark registry: one line per entry, loaded lazily so `npm run bench -- codec` imports only
 * the codec. Each module lives in ./<name>.ts and exports `run` (see ../bench-entry.ts).
 */
export const BENCH_ENTRIES: Record<string, () => Promise<BenchEntryModule>> = {
  codec: () => import('./codec.ts'),
  server: () => import('./server.ts'),
  grade: () => import('./grade.ts'),
  'class-under-load': () => import('./class-under-load.ts'),
  suite: () => import('./suite.ts'),
  sandbox: () => import('./sandbox.ts'),
  'cli-startup': () => import('./cli-startup.ts'),
  container: () => import('./container.ts'),
};
