import { Command } from 'commander';
import { MergeError } from '../../grader/errors.ts';
import { mergeGradebooks } from '../../grader/merge.ts';

export function gradebookCommand(): Command {
  const gradebook = new Command('gradebook').description('work with grade outputs (instanet grade --out folders)');
  gradebook
    .command('merge')
    .description('join the outputs of `instanet grade --shard i/n` runs into one gradebook.csv and index.html')
    .argument('<out>', 'folder to write the merged gradebook into')
    .argument('<shards...>', 'output folders of the shard runs')
    .action(async (out: string, shards: string[]) => {
      try {
        const { grades, warnings } = await mergeGradebooks(out, shards);
        for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
        process.stdout.write(`${grades.length} submission(s) merged into ${out}\n`);
      } catch (error) {
        if (error instanceof MergeError) {
          process.stderr.write(`instanet gradebook merge: ${error.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw error;
      }
    });
  return gradebook;
}
