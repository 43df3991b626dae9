import { z, type ZodTypeAny } from 'zod';

// Finds the schema that governs a path inside a value, so an "unknown key" error can list the keys
// that are allowed there. Only the Zod kinds the scenario format uses are unwrapped.

function unwrap(schema: ZodTypeAny): ZodTypeAny {
  for (;;) {
    if (schema instanceof z.ZodEffects) schema = schema.innerType();
    else if (schema instanceof z.ZodLazy) schema = schema.schema as ZodTypeAny;
    else if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) schema = schema.unwrap() as ZodTypeAny;
    else if (schema instanceof z.ZodDefault) schema = schema.removeDefault() as ZodTypeAny;
    else return schema;
  }
}

function objectOf(schema: ZodTypeAny): z.AnyZodObject | undefined {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) return s;
  if (s instanceof z.ZodUnion) {
    for (const option of s.options as ZodTypeAny[]) {
      const o = objectOf(option);
      if (o) return o;
    }
  }
  return undefined;
}

export function schemaAt(root: ZodTypeAny, path: readonly (string | number)[]): ZodTypeAny | undefined {
  let schema: ZodTypeAny | undefined = root;
  for (const key of path) {
    if (!schema) return undefined;
    const s = unwrap(schema);
    if (s instanceof z.ZodArray) schema = s.element as ZodTypeAny;
    else if (s instanceof z.ZodTuple) schema = (s.items as ZodTypeAny[])[Number(key)];
    else if (s instanceof z.ZodRecord) schema = s.valueSchema as ZodTypeAny;
    else {
      const o = objectOf(s);
      schema = o ? (o.shape as Record<string, ZodTypeAny>)[String(key)] : undefined;
    }
  }
  return schema;
}

/** The keys an object at this path may have, or undefined when the path is not an object. */
export function allowedKeysAt(root: ZodTypeAny, path: readonly (string | number)[]): string[] | undefined {
  const schema = schemaAt(root, path);
  const o = schema ? objectOf(schema) : undefined;
  return o ? Object.keys(o.shape as object) : undefined;
}
