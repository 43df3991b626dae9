import { Command } from 'commander';

// The builder (adm-zip, the rubric loader) is imported when the command runs: --help stays quick.

export function gradescopeCommand(): Command {
  const gradescope = new Command('gradescope').description('Gradescope autograder packaging');
  gradescope
    .command('build')
    .description('write autograder.zip (setup.sh, run_autograder, the kit, the rubric) to upload as a Gradescope autograder')
    .requiredOption('--out <dir>', 'folder to write autograder.zip into (created when missing)')
    .option('--rubric <file>', 'course rubric (YAML) graded instead of the kit\'s fixtures/rubrics/cpe356.yaml')
    .action(async (flags: { out: string; rubric?: string }) => {
      const { mkdir } = await import('node:fs/promises');
      const { buildAutograderZip } = await import('../../grader/gradescope/build.ts');
      await mkdir(flags.out, { recursive: true });
      const zip = await buildAutograderZip({ out: flags.out, ...(flags.rubric ? { rubricFile: flags.rubric } : {}) });
      process.stdout.write(`${zip.file} (${zip.entries} files): upload it as the assignment's autograder (Ubuntu base image)\n`);
    });
  return gradescope;
}
