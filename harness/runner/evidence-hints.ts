// Hints chosen from what the student's server itself printed while a case failed. The scenario's
// hint guesses from the symptom (a closed connection); the server's own error names the cause, and
// the advice can then fit the code the student actually wrote.

interface EvidenceRule {
  /** Tested against the case's server output, joined by newlines. */
  pattern: RegExp;
  hint: (match: RegExpExecArray) => string;
}

const RULES: readonly EvidenceRule[] = [
  {
    // server.py prints "Error handling client ...: 'utf-8' codec can't decode byte 0xd8 in position 79:
    // unexpected end of data": the loop accumulates, but each chunk is decoded as it comes.
    pattern: /'utf-?8' codec can't decode byte (0x[0-9a-f]{2}) in position (\d+): ([^\n]+)/i,
    hint: (m) =>
      `Your server said: 'utf-8' codec can't decode byte ${m[1]} in position ${m[2]}: ${m[3]?.trim()}. receive_json_message already keeps reading, `
      + 'but it decodes each recv() chunk as it arrives: decode only once the whole message is in; a character can be split across reads. '
      + "Keep the buffer as bytes (buffer += chunk), try json.loads(buffer.decode('utf-8')) on the whole buffer, and on a UnicodeDecodeError read more, like on a JSONDecodeError.",
  },
  {
    pattern: /struct\.error: unpack requires a buffer of (\d+) bytes/,
    hint: (m) =>
      `Your server said: struct.error: unpack requires a buffer of ${m[1]} bytes. receive_image unpacked the length before all 8 bytes had arrived: `
      + 'one recv(8) can return fewer; loop until the 8 bytes are in, then read exactly that many image bytes.',
  },
  {
    pattern: /(?:JSONDecodeError: |Error handling client[^\n]*?: )((?:Extra data|Unterminated string|Expecting (?:value|property name|',' delimiter|':' delimiter))[^\n]*)/,
    hint: (m) =>
      `Your server said: ${m[1]?.trim()}. receive_json_message parsed a buffer that was not exactly one whole JSON object: `
      + 'keep reading while json.loads fails on an incomplete object, and take one object at a time.',
  },
];

/** The hint the server's own output points to, if it matches a known cause. */
export function evidenceHint(serverOutput: readonly string[]): string | undefined {
  const text = serverOutput.join('\n');
  for (const rule of RULES) {
    const m = rule.pattern.exec(text);
    if (m) return rule.hint(m);
  }
  return undefined;
}
