export * from './format.ts';
export * from './errors.ts';
export { loadScenarios, loadScenarioFile, parseScenarioFile, checkSuite, compareIds, DEFAULT_SCENARIO_DIR, type LoadedScenario } from './loader.ts';
export { MATCHER_NAMES } from './pattern.ts';
