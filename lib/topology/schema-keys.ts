import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  options?: readonly z.ZodType[];
}

/**
 * The keys a schema allows for the mapping at `path` inside it (an unknown key's neighbours, for
 * "did you mean"). Optional wrappers are looked through; a union offers the keys of all its mappings.
 */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  if (def.type === 'optional' && def.innerType) return keysAt(def.innerType, path);
  if (def.type === 'union' && def.options) return [...new Set(def.options.flatMap((option) => keysAt(option, path)))];
  if (def.type !== 'object' || !def.shape) return [];
  if (path.length === 0) return Object.keys(def.shape);
  const next = def.shape[String(path[0])];
  return next ? keysAt(next, path.slice(1)) : [];
}
