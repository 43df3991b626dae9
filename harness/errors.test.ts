import { describe, expect, it } from 'vitest';
import { InstaNetError } from './errors.ts';
import { StepFailure } from './runner/step-failure.ts';
import { ScenarioSelectionError } from './scenarios/errors.ts';
import { TargetStartError } from './targets/target.ts';
import { TranscriptError } from './transcript/errors.ts';

describe('InstaNetError', () => {
  it('carries a stable code, the class name and the cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new TranscriptError('INSTANET_ERR_REPLAY_CONNECT', 'cannot connect', { cause });
    expect(error).toBeInstanceOf(InstaNetError);
    expect(error.name).toBe('TranscriptError');
    expect(error.code).toBe('INSTANET_ERR_REPLAY_CONNECT');
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe('TranscriptError: cannot connect');
  });

  it('keeps each harness error its own name and code', () => {
    const cases: [InstaNetError, string, string][] = [
      [new StepFailure('timeout', 'a reply', 'nothing'), 'StepFailure', 'INSTANET_ERR_CHECK_FAILED'],
      [new ScenarioSelectionError('no case matches'), 'ScenarioSelectionError', 'INSTANET_ERR_SCENARIO_SELECTION'],
      [new TargetStartError('exited'), 'TargetStartError', 'INSTANET_ERR_TARGET_START'],
    ];
    for (const [error, name, code] of cases) {
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(error.stack).toContain(name);
    }
  });
});
