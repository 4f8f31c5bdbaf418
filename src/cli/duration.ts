// Durations on the command line: "30s", "500ms", "2m", "1h" or plain seconds.
import { UsageError } from '../errors';

export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} ${text}: not a duration`, `examples: ${flag} 30s, ${flag} 500ms, ${flag} 2m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}
