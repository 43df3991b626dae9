// Hints chosen from what the student's server itself printed while a case failed. The scenario's
// hint guesses from the symptom (a closed connection); the server's own error names the cause.
// Where the scenario's hint already fits that cause, it stays and the server's words are quoted
// after it; where the cause calls for other advice, the advice is replaced.

interface EvidenceRule {
  /** Tested against the case's server output, joined by newlines. */
  pattern: RegExp;
  /** Advice that replaces the scenario's hint; without it the scenario's hint stays, quoting the server. */
  replace?: (match: RegExpExecArray) => string;
  /** Used when the case has no hint of its own. */
  fallback: string;
}

const RULES: readonly EvidenceRule[] = [
  {
    // server.py prints "Error handling client ...: 'utf-8' codec can't decode byte 0xd8 in position 79:
    // unexpected end of data": the bytes decoded ended inside a character: each chunk decoded as it
    // comes, the buffer so far decoded without catching UnicodeDecodeError (issue 22's hand-in), or
    // one recv() taken as the message (json-single-recv), so the advice must not assume a loop. The
    // generic "append raw bytes" advice alone reads as already done to the first two.
    pattern: /'utf-?8' codec can't decode byte (0x[0-9a-f]{2}) in position (\d+): ([^\n]+)/i,
    replace: (m) =>
      `Your server said: 'utf-8' codec can't decode byte ${m[1]} in position ${m[2]}: ${m[3]?.trim()}. receive_json_message decoded bytes `
      + 'that end inside a character (a recv() chunk, or the buffer so far) and gave up there: decode only once the whole message is in; a character can be split across reads. '
      + "Keep the buffer as bytes (buffer += chunk), keep calling recv, try json.loads(buffer.decode('utf-8')) on the whole buffer, and on a UnicodeDecodeError read more, like on a JSONDecodeError.",
    fallback: '',
  },
  {
    // The starter's receive_and_save_image prints what receive_image raised (or what writing the
    // file raised, which a test image never does): the image exchange is where the case broke.
    pattern: /Error saving image: [^\n]+/,
    fallback: 'receive_image failed on the image the kit sent: read the length header whole (loop until all of its bytes are in), then exactly that many image bytes.',
  },
  {
    pattern: /struct\.error: unpack requires a buffer of \d+ bytes/,
    fallback: 'receive_image unpacked the length before all 8 bytes had arrived: one recv(8) can return fewer; loop until the 8 bytes are in, then read exactly that many image bytes.',
  },
  {
    pattern: /(?:JSONDecodeError: |Error handling client[^\n]*?: )(?:Extra data|Unterminated string|Expecting (?:value|property name|',' delimiter|':' delimiter))[^\n]*/,
    fallback: 'receive_json_message parsed a buffer that was not exactly one whole JSON object: keep reading while json.loads fails on an incomplete object, and take one object at a time.',
  },
];

const quoted = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text).trim();

/**
 * The hint the server's own output points to, if it matches a known cause; `hint` is the case's own.
 * The first error printed is the cause; what follows is its consequence (after a failed image the
 * starter reads the unread image bytes as the next request, and the decode error that follows is
 * no advice for receive_json_message), so the earliest match wins, not the first rule.
 */
export function evidenceHint(serverOutput: readonly string[], hint?: string): string | undefined {
  const text = serverOutput.join('\n');
  const matches = RULES.flatMap((rule) => {
    const m = rule.pattern.exec(text);
    return m ? [{ rule, m }] : [];
  });
  const first = matches.sort((a, b) => a.m.index - b.m.index)[0];
  if (!first) return undefined;
  if (first.rule.replace) return first.rule.replace(first.m);
  return `${hint ?? first.rule.fallback} (Your server said: ${quoted(first.m[0])})`;
}
