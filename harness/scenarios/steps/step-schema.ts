import type { ZodTypeAny } from 'zod';

// One kind of scenario step as the format sees it: the key that names it and the schema (with its
// description) of what the key holds. The registry (index.ts) lists the kinds; the step schema and
// the list of kinds (format.ts) and the runner's table (harness/runner/steps/) are built from it.

export interface StepSchema<K extends string = string, F extends ZodTypeAny = ZodTypeAny> {
  readonly kind: K;
  /** The key's schema; `step` is the schema of a whole step, for the kinds that nest steps. */
  readonly field: (step: ZodTypeAny) => F;
  /** The key holds a list of steps (so Step's type holds Step[] there). */
  readonly nestsSteps?: true;
  /** A step of this kind may also carry `expect`, the check of its reply, and is still one kind. */
  readonly takesExpect?: true;
}
