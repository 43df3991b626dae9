import { describe, expect, it } from 'vitest';
import { fencedBlock, multiLine, oneLine, spreadsheetText } from './safe-text.ts';

// What a hostile hand-in name or crash line would do to a terminal, a log, a spreadsheet or a
// Markdown renderer, and what is left of it once it goes through the kit's one sanitiser.

const ESC = '\u001b';
const HOSTILE = [
  `${ESC}[2J${ESC}[31mred`, // clear the screen, colour
  `${ESC}]0;pwned\u0007title`, // OSC window title, BEL-terminated
  `${ESC}]8;;https://evil.example/${ESC}\\link${ESC}]8;;${ESC}\\`, // OSC 8 hyperlink
  'fake\rover', // CR overwrites what came before
  'two\nlines',
  'bell\u0007',
  '\u009b2J', // 8-bit CSI
  'abc\u202edcba', // right-to-left override
];

describe('oneLine', () => {
  it('leaves no control character, newline or CR, and keeps the text readable', () => {
    for (const text of HOSTILE) {
      const safe = oneLine(text);
      expect(safe).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    }
    expect(oneLine(`${ESC}[2Jalice`)).toBe('␛[2Jalice');
    expect(oneLine('two\nlines')).toBe('two␊lines');
    expect(oneLine('\u009b2J')).toBe('<U+009B>2J');
    expect(oneLine('plain name, élève 学生 🎓')).toBe('plain name, élève 学生 🎓');
  });
});

describe('multiLine', () => {
  it('keeps line breaks (CR and CRLF become LF) and tabs, shows every other control', () => {
    expect(multiLine('a\r\nb\rc\nd\te')).toBe('a\nb\nc\nd\te');
    expect(multiLine(`${ESC}]0;x\u0007`)).toBe('␛]0;x␇');
  });
});

describe('spreadsheetText', () => {
  it('guards a formula also after leading spaces or a tab', () => {
    for (const text of ['=1+1', ' =HYPERLINK("x")', '  +1', '\t-2', '@SUM(A1)', '\r=1']) expect(spreadsheetText(text).startsWith("'")).toBe(true);
    for (const text of ['alice', 'a=b', '1-2']) expect(spreadsheetText(text)).toBe(text);
  });
});

describe('fencedBlock', () => {
  it('is closed only by its own fence, whatever backticks the text holds', () => {
    const text = 'x ``` y\n````\n`````` z\r\r<script>alert(1)</script>';
    const block = fencedBlock(text).split('\n');
    const fence = /^`+/.exec(block[0] ?? '')?.[0] ?? '';
    expect(fence.length).toBe(7);
    expect(block.at(-1)).toBe(fence);
    // A closing fence is a line of at least as many backticks: none inside.
    for (const line of block.slice(1, -1)) expect(/^ {0,3}`+\s*$/.test(line) && line.trim().length >= fence.length).toBe(false);
    expect(block.join('\n')).not.toContain('\r');
  });
});
