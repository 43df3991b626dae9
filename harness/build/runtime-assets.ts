// What the kit reads at run time through import.meta.url (kit-version, scenarios/loader, rubric/loader,
// client-half, sandbox, outputs/similarity): the suite, the rubric, the client half's image, the
// Python helpers, the starter's socket_utils.py whose shingles similarity leaves out. The
// tarball copies them into dist/; the single executable embeds them. One list, so both stay in step.
export const RUNTIME_ASSETS = ['package.json', 'fixtures/scenarios', 'fixtures/rubrics', 'fixtures/images', 'harness/grader/python', 'harness/sandbox/python', 'fixtures/broken-submissions/skeleton/socket_utils.py'] as const;
