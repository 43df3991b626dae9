import { requirement } from '../../spec/requirements.ts';
import type { CaseLevel, Scenario } from '../scenarios/format.ts';

export type Profile = 'strict' | 'course';

const RANK: Record<CaseLevel, number> = { INFORMATIONAL: 0, SHOULD: 1, MUST: 2 };

/**
 * The level a case is judged at. In the strict profile, the declared level. In the course profile
 * (student servers built on the course's starter), a case that cites a requirement the starter
 * itself does not meet (Requirement.starterMeets false, or a strict-only rule) drops to
 * INFORMATIONAL, so students are not failed for the starter's defects; a scenario overrides that
 * with `course:` when the duty is the student's own (e.g. reading a split length header, which is
 * socket_utils.py work). The result is never stronger than the declared level.
 */
export function effectiveLevel(scenario: Pick<Scenario, 'level' | 'course' | 'requirements'>, profile: Profile): CaseLevel {
  if (profile === 'strict') return scenario.level;
  const derived: CaseLevel =
    scenario.course
    ?? (scenario.requirements.some((id) => {
      const r = requirement(id);
      return !r.starterMeets || !r.modes.includes('course');
    })
      ? 'INFORMATIONAL'
      : scenario.level);
  return RANK[derived] <= RANK[scenario.level] ? derived : scenario.level;
}
