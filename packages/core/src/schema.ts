import type { z } from 'zod';
import { GanKitError } from './errors';

/** Validates a value with a zod schema; on failure lists every issue as `field: message` in one error. */
export function parseWithSchema<T>(value: unknown, schema: z.ZodType<T>, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  throw new GanKitError('CONFIG_INVALID', `${what} is invalid: ${issues.join('; ')}`, { path: what, cause: result.error });
}
