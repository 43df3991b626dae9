export * from './target.ts';
export { addressTarget, parseAddress } from './address-target.ts';
export { spawnedTarget, DEFAULT_USERS, type SpawnedTargetOptions } from './spawned-target.ts';
export { referenceTarget, SUITE_IDLE_TIMEOUT_MS, type ReferenceTargetOptions } from './reference-target.ts';
export { freePort } from '../process/free-port.ts';
export { splitCommand } from './split-command.ts';
