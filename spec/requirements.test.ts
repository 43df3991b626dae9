import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProtocolStatements } from './protocol-statements.ts';
import { isRequirementId, REQUIREMENTS, requirement, SECTION_TITLES, type Section } from './requirements.ts';

const protocol = readFileSync(new URL('./protocol.md', import.meta.url), 'utf8');
const SECTIONS = Object.keys(SECTION_TITLES) as Section[];
const ID = `(?:${SECTIONS.join('|')})-\\d+`;

describe('requirement catalogue', () => {
  it('has unique, well-formed IDs in known sections', () => {
    expect(REQUIREMENTS.length).toBeGreaterThanOrEqual(30);
    const ids = REQUIREMENTS.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of REQUIREMENTS) {
      expect(r.id).toMatch(new RegExp(`^${ID}$`));
      expect(r.id.startsWith(`${r.section}-`)).toBe(true);
      expect(['MUST', 'SHOULD', 'MAY']).toContain(r.level);
      expect(r.text.length).toBeGreaterThan(10);
      expect(r.modes).toContain('strict');
    }
    for (const section of SECTIONS) expect(REQUIREMENTS.some((r) => r.section === section)).toBe(true);
  });

  it('looks IDs up', () => {
    expect(requirement('IMG-2').level).toBe('MUST');
    expect(isRequirementId('IMG-2')).toBe(true);
    expect(isRequirementId('IMG-99')).toBe(false);
    expect(() => requirement('IMG-99')).toThrow(/unknown requirement ID IMG-99/);
  });
});

describe('spec/protocol.md and the catalogue agree', () => {
  const statements = [...protocol.matchAll(new RegExp(`\\*\\*(${ID})\\*\\* \\((MUST|SHOULD|MAY)\\)`, 'g'))].map((m) => ({
    id: m[1] as string,
    level: m[2] as string,
  }));

  it('states every requirement exactly once, with its level', () => {
    const ids = statements.map((s) => s.id);
    const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(duplicates, 'IDs stated twice in protocol.md').toEqual([]);
    expect([...ids].sort(), 'IDs in protocol.md vs spec/requirements.ts').toEqual(REQUIREMENTS.map((r) => r.id).sort());
    const levels = Object.fromEntries(statements.map((s) => [s.id, s.level]));
    expect(levels).toEqual(Object.fromEntries(REQUIREMENTS.map((r) => [r.id, r.level])));
  });

  it('gives each requirement protocol.md\'s own words (else: npm run spec:texts)', () => {
    const texts = Object.fromEntries(parseProtocolStatements(protocol).map((s) => [s.id, s.text]));
    expect(Object.fromEntries(REQUIREMENTS.map((r) => [r.id, r.text]))).toEqual(texts);
  });

  it('cites only catalogue IDs in its prose', () => {
    // Ranges like FRQ-1..3 cite FRQ-1; the regex takes the first ID of the range.
    const cited = [...protocol.matchAll(new RegExp(`\\b${ID}\\b`, 'g'))].map((m) => m[0]);
    expect(cited.filter((id) => !isRequirementId(id))).toEqual([]);
  });

  it('lists the strict-only requirements of the catalogue', () => {
    const line = /^Strict-only requirements: (.+)\.$/m.exec(protocol);
    expect(line, 'the "Strict-only requirements:" line').not.toBeNull();
    const expected = REQUIREMENTS.filter((r) => !r.modes.includes('course')).map((r) => r.id);
    expect(line?.[1]?.split(', ')).toEqual(expected);
  });

  it('lists the requirements the starter misses', () => {
    const line = /^Starter misses: (.+)\.$/m.exec(protocol);
    expect(line, 'the "Starter misses:" line').not.toBeNull();
    expect(line?.[1]?.split(', ')).toEqual(REQUIREMENTS.filter((r) => !r.starterMeets).map((r) => r.id));
  });

  it('uses RFC 2119 keywords only inside the tagged statements and the conventions', () => {
    // A bare MUST outside a tagged statement would be a normative sentence without an ID.
    const paragraphs = protocol.split(/\n\s*\n/).filter((p) => !p.startsWith('```') && !p.startsWith('|'));
    const untagged = paragraphs.filter((p) => /\b(MUST|SHOULD|MAY)\b/.test(p) && !new RegExp(`\\*\\*${ID}\\*\\* \\(`).test(p));
    expect(untagged.filter((p) => !p.includes('RFC 2119') && !p.includes('the key words'))).toEqual([]);
  });
});
