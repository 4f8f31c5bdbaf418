// Picks how the prefix reaches outside: NAT66 for ULA, NDP proxy inside the on-link prefix, else routed (pure).
import { UsageError } from '../errors';
import type { Mode } from './state';
import { classifyV6, contains, parseCidr6, type Cidr6 } from './ip';

export function chooseMode(requested: 'auto' | Mode, prefix: Cidr6, uplinkPrefixes: readonly string[]): Mode {
  const onLink = uplinkPrefixes.map((u) => parseCidr6(u)!).find((u) => contains(u, prefix) && prefix.length > u.length);
  const ula = classifyV6(prefix) === 'ula';
  if (requested === 'auto') return ula ? 'nat' : onLink ? 'ndp' : 'routed';
  if (requested === 'ndp' && !onLink) {
    throw new UsageError(`--mode ndp needs a prefix inside the uplink's on-link prefix (${uplinkPrefixes.join(', ') || 'none'})`, 'use --mode routed with a prefix routed to this host, or pick a part of the on-link prefix');
  }
  if (requested === 'npt' && !ula) {
    throw new UsageError('--mode npt needs a ULA inside prefix (the addresses containers keep, whatever the outside prefix becomes)', 'use --prefix auto (a generated ULA /48) or a ULA of your own, and the global prefix with --outside-prefix');
  }
  if (requested === 'routed' && ula) {
    throw new UsageError('--mode routed with a ULA prefix: nobody outside routes ULA space to this host', 'use --mode nat (the default for ULA)');
  }
  return requested;
}
