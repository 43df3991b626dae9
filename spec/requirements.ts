import { REQUIREMENT_TEXTS } from './requirement-texts.ts';

// The requirement catalogue: the same IDs, levels and texts as spec/protocol.md (a test keeps them equal).
// Checks, scenarios, reports and rubrics cite these IDs, so one ID can be followed from the
// spec to its schema, its scenario and its report row.

export type Level = 'MUST' | 'SHOULD' | 'MAY';

export type Section =
  | 'FRAME'
  | 'CONN'
  | 'IMG'
  | 'AUTH'
  | 'FRQ'
  | 'DM'
  | 'POST'
  | 'USER'
  | 'ERR'
  | 'DATA'
  | 'SEC'
  | 'LIM'
  | 'CLNT';

export interface Requirement {
  readonly id: string;
  readonly level: Level;
  readonly section: Section;
  readonly text: string;
  /** Whether the course's own starter server meets it; harness levels such checks down when it does not. */
  readonly starterMeets: boolean;
  /** Which reference-server modes meet it ('strict' always does). */
  readonly modes: readonly ('strict' | 'course')[];
}

export const SECTION_TITLES: Readonly<Record<Section, string>> = {
  FRAME: 'Transport and framing',
  CONN: 'Connections and concurrency',
  IMG: 'Image exchange',
  AUTH: 'Login and sessions',
  FRQ: 'Friend requests',
  DM: 'Direct messages',
  POST: 'Posts, feed and comments',
  USER: 'User data',
  ERR: 'Errors and unknown actions',
  DATA: 'Data layout and durability',
  SEC: 'Path safety',
  LIM: 'Limits',
  CLNT: 'Client obligations',
};

const both = ['strict', 'course'] as const;
const strictOnly = ['strict'] as const;

// The text is protocol.md's own paragraph for the ID (requirement-texts.ts is generated from it).
function req(id: string, level: Level, starterMeets = true, modes: readonly ('strict' | 'course')[] = both): Requirement {
  const section = id.split('-')[0] as Section;
  const text = REQUIREMENT_TEXTS[id];
  if (text === undefined) throw new RangeError(`${id} is not stated in spec/protocol.md (run npm run spec:texts)`);
  return { id, level, section, text, starterMeets, modes };
}

export const REQUIREMENTS: readonly Requirement[] = [
  req('FRAME-1', 'MUST'),
  req('FRAME-2', 'MUST'),
  req('FRAME-3', 'MUST', false),
  req('FRAME-4', 'MUST'),
  req('FRAME-5', 'SHOULD'),
  req('FRAME-6', 'SHOULD', false),
  req('FRAME-7', 'MUST'),
  req('FRAME-8', 'MUST'),
  req('FRAME-9', 'SHOULD', false),
  req('FRAME-10', 'SHOULD', false),
  req('FRAME-11', 'MAY'),
  req('CONN-1', 'MUST'),
  req('CONN-2', 'MUST'),
  req('CONN-3', 'SHOULD'),
  req('CONN-4', 'MUST'),
  req('IMG-1', 'MUST'),
  req('IMG-2', 'MUST', false),
  req('IMG-3', 'MUST'),
  req('IMG-4', 'MUST'),
  req('IMG-5', 'MUST'),
  req('IMG-6', 'SHOULD', false),
  req('IMG-7', 'SHOULD', false),
  req('IMG-8', 'MUST', false),
  req('AUTH-1', 'MUST'),
  req('AUTH-2', 'MUST'),
  req('AUTH-3', 'SHOULD'),
  req('AUTH-4', 'SHOULD', false, strictOnly),
  req('AUTH-5', 'SHOULD', false, strictOnly),
  req('AUTH-6', 'SHOULD', false, strictOnly),
  req('FRQ-1', 'MUST'),
  req('FRQ-2', 'MUST'),
  req('FRQ-3', 'MUST'),
  req('FRQ-4', 'MUST'),
  req('FRQ-5', 'MUST'),
  req('FRQ-6', 'SHOULD', false),
  req('DM-1', 'MUST'),
  req('DM-2', 'MUST'),
  req('DM-3', 'MUST'),
  req('DM-4', 'SHOULD', false),
  req('DM-5', 'MUST'),
  req('DM-6', 'MUST'),
  req('POST-1', 'MUST'),
  req('POST-2', 'MUST'),
  req('POST-3', 'SHOULD', false),
  req('POST-4', 'SHOULD', false),
  req('POST-5', 'MUST'),
  req('USER-1', 'MUST'),
  req('USER-2', 'MUST'),
  req('ERR-1', 'MUST'),
  req('ERR-2', 'SHOULD', false),
  req('ERR-3', 'MUST'),
  req('DATA-1', 'MUST'),
  req('DATA-2', 'SHOULD', false),
  req('DATA-3', 'SHOULD', false),
  req('DATA-4', 'SHOULD', false),
  req('DATA-5', 'MUST'),
  req('SEC-1', 'SHOULD', false),
  req('LIM-1', 'SHOULD', false),
  req('LIM-2', 'SHOULD', false),
  req('LIM-3', 'MAY', false),
  req('CLNT-1', 'MUST'),
  req('CLNT-2', 'MUST'),
  req('CLNT-3', 'MUST'),
  req('CLNT-4', 'SHOULD', false),
];

const byId = new Map(REQUIREMENTS.map((r) => [r.id, r]));

export function requirement(id: string): Requirement {
  const found = byId.get(id);
  if (!found) throw new RangeError(`unknown requirement ID ${id}`);
  return found;
}

export function isRequirementId(id: string): boolean {
  return byId.has(id);
}
