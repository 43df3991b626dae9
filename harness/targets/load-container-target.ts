import { EnvironmentError } from '../errors.ts';

// testcontainers (and the Docker client under it, about 60 packages) serves only --sandbox
// container, so the installed kit leaves it out (an optional peer dependency) and a student's
// check never loads it. This is the one door to container-target.ts: a missing package becomes
// one line that says what to install, not a stack from the module loader.

type ContainerTargetModule = typeof import('./container-target.ts');

const MISSING_MESSAGE = '--sandbox container needs the testcontainers package: npm install testcontainers (next to the kit; -g if the kit was installed with -g)';

/** The single executable bundles no testcontainers and cannot take one from npm later. */
const NOT_IN_EXECUTABLE = '--sandbox container needs the testcontainers package, which the single executable cannot load: use the npm package (npm install -g instanet-*.tgz testcontainers)';

function isMissingTestcontainers(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.includes("'testcontainers'");
}

export async function loadContainerTarget(): Promise<ContainerTargetModule> {
  try {
    return await import('./container-target.ts');
  } catch (error) {
    if (isMissingTestcontainers(error)) {
      const inExecutable = String((error as { message: unknown }).message).includes('single executable');
      throw new EnvironmentError(inExecutable ? NOT_IN_EXECUTABLE : MISSING_MESSAGE, { cause: error });
    }
    throw error;
  }
}
