// The kit's import rules (CONTRIBUTING.md, "Direction of dependencies"). `npm run lint:imports` checks
// them, and `npm test` runs that script, so a cycle or an upward import fails the gate, not a review.

// The harness's folders in layers, lowest first. A folder may import only folders of lower layers
// (and spec/, reference/): one rule per folder keeps the folder graph acyclic, which the module-level
// no-circular rule alone does not (two folders can import each other through different files without
// any one file cycle). Tests and test helpers are exempt: a sandbox test may well start a grader target.
const HARNESS_LAYERS = [
  ['base', 'errors.ts'],
  ['workspace-files', 'sandbox'],
  ['process'],
  ['scenarios', 'transcript'],
  ['targets'],
  ['runner'],
  ['reporters', 'publish', 'reports-server'],
  ['grader'],
  ['bench', 'tools', 'build', 'testing'],
  ['cli'],
];
// harness/grader's subfolders the same way (harness/grader/README.md, "Layout"), lowest first: each
// folder one layer, the shared leaves at the grader's top below them all.
const GRADER_LAYERS = [
  ['errors.ts', 'kit-root.ts'],
  ['rubric'],
  ['submissions'],
  ['starter'],
  ['client-half'],
  ['server-half'],
  ['outputs'],
  ['grade'],
  ['gradescope'],
  ['ci'],
];
const folderPattern = (base, names) => `^${base}/(${names.map((n) => n.replace('.', '\\.')).join('|')})(/|$)`;
const layerRulesOf = (base, layers, doc) =>
  layers
    .flatMap((layer, i) => layer.map((folder) => ({ folder, above: [...layer.filter((other) => other !== folder), ...layers.slice(i + 1).flat()] })))
    .filter(({ above }) => above.length > 0)
    .map(({ folder, above }) => ({
      name: `${base.replaceAll('/', '-')}-${folder.replace('.ts', '')}-imports-only-lower-layers`,
      severity: 'error',
      comment: `${base}/${folder} may import only lower layers, not ${above.join(', ')} (${doc})`,
      from: { path: folderPattern(base, [folder]), pathNot: '\\.test\\.ts$|/test-support/|/testing/' },
      to: { path: folderPattern(base, above), dependencyTypesNot: ['dynamic-import'] },
    }));
const layerRules = [...layerRulesOf('harness', HARNESS_LAYERS, 'CONTRIBUTING.md, "Layout"'), ...layerRulesOf('harness/grader', GRADER_LAYERS, 'harness/grader/README.md, "Layout"')];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order matter and keeps the two halves from being understood or moved apart.',
      from: {},
      // A command's flags module loads its action with a lazy import() (so `--help` stays fast) and the
      // action imports the flags' type back: no module is evaluated twice, so a cycle closed only
      // through a dynamic import is allowed; every static cycle fails.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['dynamic-import'] } },
    },
    {
      name: 'spec-imports-nothing-of-ours',
      severity: 'error',
      comment: 'spec/ is the protocol: implementations and tools depend on it, never the other way round.',
      from: { path: '^spec/' },
      to: { path: '^(reference|harness|fixtures)/' },
    },
    {
      name: 'reference-imports-no-harness',
      severity: 'error',
      comment:
        'The reference app is what the harness tests; it must not depend on its own judge. Its tests and test helpers may use the harness\'s test plumbing (free ports).',
      from: { path: '^reference/', pathNot: '\\.test\\.ts$|/test-support/|/testing/' },
      to: { path: '^(harness|fixtures)/' },
    },
    {
      name: 'nothing-imports-the-cli',
      severity: 'error',
      comment: 'harness/cli/ is the top: commands assemble the layers below; a layer that reaches up into it inverts that.',
      from: { path: '^', pathNot: '^harness/cli/' },
      to: { path: '^harness/cli/' },
    },
  ],
  options: {
    includeOnly: '^(spec|reference|harness|fixtures)/',
    exclude: { path: '(^|/)node_modules/|^dist/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
  },
};
