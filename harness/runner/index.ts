export { runSuite, type RunSuiteOptions } from './run-suite.ts';
export * from './report-format.ts';
export { effectiveLevel, type Profile } from './levels.ts';
export { match, describePattern, type Mismatch } from './matchers.ts';
export { failureVerdict, runOk, tally } from './verdicts.ts';
export { selectIds } from './select.ts';
export { requirementCoverage, coverageSummary, coverageLine, REQUIREMENT_STATUS_LABEL, type CoverageSummary } from './requirement-coverage.ts';
