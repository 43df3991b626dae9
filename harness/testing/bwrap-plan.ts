import { planSandbox, probeBwrap, resolvePython, type PythonRuntime, type SandboxPlan } from '../sandbox/sandbox.ts';

// What every test of the real bwrap sandbox starts from: the Python to run, and the bwrap plan, or
// undefined (said in one line) where bwrap cannot make a sandbox on this machine, so they skip.

export async function bwrapTestSetup(): Promise<{ python: PythonRuntime; plan: SandboxPlan | undefined }> {
  const python = await resolvePython();
  const probe = await probeBwrap();
  if (probe.ok) return { python, plan: await planSandbox('bwrap') };
  console.log(`bwrap tests skipped: ${probe.reason}`);
  return { python, plan: undefined };
}
