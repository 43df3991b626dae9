import { COMMANDS, usageLine } from '../cli/commands.ts';

// The shell's own commands, next to the protocol commands of cli/commands.ts.

export const BUILTINS = [
  { name: 'help', usage: 'help [command]', summary: 'list the commands, or show one in detail' },
  { name: 'poll', usage: 'poll', summary: 'check for new messages and friend requests now' },
  { name: 'watch', usage: 'watch <user>', summary: 'get notices of new messages from this user' },
  { name: 'whoami', usage: 'whoami', summary: 'show the server and the logged-in user' },
  { name: 'history', usage: 'history', summary: 'list the commands typed in this session' },
  { name: 'quit', usage: 'quit', summary: 'leave the shell (also: exit, Ctrl-D)' },
  { name: 'exit', usage: 'exit', summary: 'leave the shell' },
] as const;

export const COMMAND_NAMES: readonly string[] = [...COMMANDS.map((c) => c.name), ...BUILTINS.map((b) => b.name)];

export function helpText(name?: string): string {
  if (name) {
    const spec = COMMANDS.find((c) => c.name === name);
    if (spec) {
      const lines = [`${usageLine(spec)}`, `  ${spec.summary}`];
      for (const arg of spec.args) lines.push(`  <${arg.name}>  ${arg.description}`);
      for (const option of spec.options ?? []) lines.push(`  --${option.name}  ${option.description}`);
      lines.push('  --json  print the result as JSON');
      if (spec.example) lines.push(`  example: ${spec.example}`);
      return lines.join('\n');
    }
    const builtin = BUILTINS.find((b) => b.name === name);
    if (builtin) return `${builtin.usage}\n  ${builtin.summary}`;
    return `unknown command \`${name}\` — type \`help\` for the list`;
  }
  const rows = [...COMMANDS.map((c) => ({ usage: usageLine(c), summary: c.summary })), ...BUILTINS.filter((b) => b.name !== 'exit')];
  const width = Math.max(...rows.map((r) => r.usage.length));
  return [
    'Commands (Tab completes commands and usernames; add --json to any command for JSON):',
    ...rows.map((r) => `  ${r.usage.padEnd(width)}  ${r.summary}`),
  ].join('\n');
}

/** The command the user probably meant, for "unknown command" messages. */
export function suggest(name: string): string | undefined {
  const prefixed = COMMAND_NAMES.filter((c) => c.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  return COMMAND_NAMES.find((c) => editDistance(c, name) <= 2);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
