import type { Reporter, TestModule } from 'vitest/node';

// CI reads a plain closing tally ("N passed, N failed"); vitest's own summary is not one of
// the formats it recognises, so this reporter adds that line after vitest's.
export default class TallyReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
      if (module.state() === 'failed' && !hasTests(module)) failed += 1;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

function hasTests(module: TestModule): boolean {
  for (const _ of module.children.allTests()) return true;
  return false;
}
