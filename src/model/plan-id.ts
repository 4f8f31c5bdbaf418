// A short, stable name for a plan's content: `--dry-run` prints it, `--plan ID` applies only that plan.
import { createHash } from 'node:crypto';

/** Canonical JSON (keys sorted) of the plan's content, hashed: same content, same id, on any run. */
export function planId(content: unknown): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, canon((v as Record<string, unknown>)[k])]));
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canon(content))).digest('hex').slice(0, 16);
}
