import type { Command } from 'commander';

// The catalogue of `instanet` commands. Only the command being run is imported (and its heavy
// dependencies only once its action starts), so `instanet --help` and `--version` cost little more
// than starting Node. A command is listed here only once it works end to end.

export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary: 'run the reference InstaNet server (the course app over TCP, byte-compatible with the course client)',
    load: async () => (await import('./serve.ts')).serveCommand(),
  },
  {
    name: 'proxy',
    summary: 'record every byte between a real client and a server (both directions, decoded), printing protocol violations as they happen',
    load: async () => (await import('./proxy.ts')).proxyCommand(),
  },
  {
    name: 'transcript',
    summary: 'inspect, replay, compare and validate transcripts (JSON Lines recordings of every byte on the wire)',
    load: async () => (await import('./transcript.ts')).transcriptCommand(),
  },
  {
    name: 'reports',
    summary: 'work with report folders',
    load: async () => (await import('./reports.ts')).reportsCommand(),
  },
  {
    name: 'client',
    summary: 'use an InstaNet server as one of its users: scriptable commands and an interactive shell',
    load: async () => (await import('./client.ts')).clientCommand(),
  },
  {
    name: 'grade',
    summary: 'grade a folder of student submissions (one folder or .zip each): gradebook.csv, per-student report.html and Gradescope results.json, class dashboard',
    load: async () => (await import('./grade.ts')).gradeCommand(),
  },
  {
    name: 'gradebook',
    summary: 'work with grade outputs (instanet grade --out folders)',
    load: async () => (await import('./gradebook.ts')).gradebookCommand(),
  },
  {
    name: 'gradescope',
    summary: 'build the Gradescope autograder zip (setup.sh, run_autograder, the kit and the rubric)',
    load: async () => (await import('./gradescope.ts')).gradescopeCommand(),
  },
  {
    name: 'test',
    summary: 'run the conformance suite against a server and write reports (exit 1 when a MUST case fails)',
    load: async () => (await import('./test.ts')).testCommand(),
  },
];
