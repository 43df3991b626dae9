// spec/protocol.md states each requirement once, as a paragraph `**ID** (LEVEL) text`. That paragraph
// is the requirement's one text: the catalogue's texts are generated from it
// (harness/tools/generate-requirement-texts.ts) and a test holds the two equal.

export interface ProtocolStatement {
  readonly id: string;
  readonly level: string;
  /** The paragraph after `(LEVEL)`, its line breaks and runs of spaces folded to one space. */
  readonly text: string;
}

const STATEMENT = /^\*\*([A-Z]+-\d+)\*\* \((MUST|SHOULD|MAY)\) ([\s\S]+)$/;

export function parseProtocolStatements(markdown: string): ProtocolStatement[] {
  const statements: ProtocolStatement[] = [];
  for (const paragraph of markdown.split(/\n[ \t]*\n/)) {
    const match = STATEMENT.exec(paragraph.trim());
    if (match) statements.push({ id: match[1]!, level: match[2]!, text: match[3]!.split(/\s+/).join(' ') });
  }
  return statements;
}
