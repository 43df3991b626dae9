import { Command } from 'commander';

// The grader is imported when merge runs, so `instanet gradebook --help` stays quick.

export function gradebookCommand(): Command {
  const gradebook = new Command('gradebook').description('work with grade outputs (instanet grade --out folders)');
  gradebook
    .command('merge')
    .description('join the outputs of `instanet grade --shard i/n` runs into one gradebook.csv and index.html')
    .argument('<out>', 'folder to write the merged gradebook into')
    .argument('<shards...>', 'output folders of the shard runs')
    .action(async (out: string, shards: string[]) => {
      // A MergeError (INSTANET_ERR_GRADEBOOK_MERGE) reaches main, which prints it and exits 2.
      const { mergeGradebooks } = await import('../../grader/grade/merge.ts');
      const { grades, warnings } = await mergeGradebooks(out, shards);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`${grades.length} submission(s) merged into ${out}\n`);
    });
  gradebook
    .command('summary')
    .description('print the class as Markdown (mean, median, one row per student): a CI job summary')
    .argument('<dir>', 'an `instanet grade --out` or `gradebook merge` folder')
    .action(async (dir: string) => {
      const { gradebookSummaryOf } = await import('../../grader/grade/gradebook-summary.ts');
      process.stdout.write(await gradebookSummaryOf(dir));
    });
  return gradebook;
}
