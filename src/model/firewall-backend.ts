// Which firewall backend Docker uses, from what the host tells (pure): the running daemon's `docker info` first,
// then the dockerd flag, then daemon.json, else Docker's default (iptables; nftables is opt-in in Docker 29).
import type { DockerFirewall } from './ip6tables-save';
import { NFT_FAMILY, NFT_TABLE } from './nft-script';

export interface FirewallClues {
  /** `docker info` answered: its FirewallBackend.Driver ("iptables", "nftables", "iptables+firewalld"), or '' when it has none (before 28.x) */
  infoDriver?: string;
  /** argv of the dockerd that reads our daemon.json, when one runs */
  argv?: readonly string[];
  /** daemon.json's "firewall-backend" value, when the file sets it */
  config?: unknown;
}

function named(v: unknown): DockerFirewall['backend'] | undefined {
  if (typeof v !== 'string') return undefined;
  if (/^nftables(\+|$)/.test(v)) return 'nftables';
  if (/^iptables(\+|$)/.test(v)) return 'iptables';
  return undefined;
}

function flag(argv: readonly string[]): string | undefined {
  let v: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--firewall-backend' && i + 1 < argv.length) v = argv[++i];
    else if (argv[i].startsWith('--firewall-backend=')) v = argv[i].slice('--firewall-backend='.length);
  }
  return v;
}

export function dockerFirewall(c: FirewallClues): DockerFirewall {
  // a daemon that answers knows best; one that predates the field uses iptables
  if (c.infoDriver !== undefined) return { backend: named(c.infoDriver) ?? 'iptables', source: 'docker info', ...(c.infoDriver ? { driver: c.infoDriver } : {}) };
  const f = c.argv ? named(flag(c.argv)) : undefined;
  if (f) return { backend: f, source: 'dockerd flag' };
  const k = named(c.config);
  if (k) return { backend: k, source: 'daemon.json' };
  return { backend: 'iptables', source: 'default' };
}

/** Where our chains of `table` live, as messages name it: "ip6tables filter", "nftables table ip6 docker-ipv6 (filter)". */
export function ourRulesPlace(kind: 'ip6tables' | 'nftables' | undefined, table: 'nat' | 'filter'): string {
  return kind === 'nftables' ? `nftables table ${NFT_FAMILY} ${NFT_TABLE} (${table})` : `ip6tables ${table}`;
}

/** What a printed batch is, for the place our rules live. */
export function batchName(kind: 'ip6tables' | 'nftables' | undefined): string {
  return kind === 'nftables' ? `batch (ip6tables-restore form; applied to nftables table ${NFT_FAMILY} ${NFT_TABLE} as one nft -f script)` : 'ip6tables-restore --noflush batch';
}
