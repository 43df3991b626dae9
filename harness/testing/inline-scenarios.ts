import { parseScenarioFile, type LoadedScenario } from '../scenarios/loader.ts';

// Scenario files written inline in a test: a group of cases, parsed as the runner would load them.

const HEADER = '# yaml-language-server: $schema=../../schemas/scenario.schema.json\n';

/** One scenario group (`gN.yaml`) holding the given case texts. */
export function scenarioGroup(group: number, body: string): LoadedScenario[] {
  return parseScenarioFile(`${HEADER}group: ${group}\ntitle: Test\nscenarios:\n${body}`, `g${group}.yaml`);
}

/** A MUST case that logs user1 in; `extra` adds lines such as `depends:` (4-space indented). */
export function loginCase(id: string, extra = '', password = '123'): string {
  return `  - id: ${id}
    title: log in ${id}
    tasks: [2]
    requirements: [AUTH-1]
    level: MUST
${extra}    clients:
      a: {}
    steps:
      - send: {action: login, username: user1, password: "${password}"}
        expect: {status: success}
`;
}
