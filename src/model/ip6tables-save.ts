// ip6tables-save text as data: tables, chains and rule lines, rule tokens, and Docker's own masquerades (pure).

export interface ParsedTable {
  /** chain name -> policy ("-" for user chains) */
  chains: Record<string, string>;
  /** full rule lines as printed by -save, e.g. "-A POSTROUTING -s fd00::/64 ! -o docker0 -j MASQUERADE" */
  rules: string[];
}
export type ParsedRuleset = Record<string, ParsedTable>;

/** Docker's firewall backend (Docker 29+: "firewall-backend"), and what told us. */
export interface DockerFirewall {
  backend: 'iptables' | 'nftables';
  source: 'docker info' | 'dockerd flag' | 'daemon.json' | 'default';
  /** `docker info`'s own word, e.g. "iptables+firewalld" (doctor: firewalld in play) */
  driver?: string;
}

export interface FirewallFacts {
  available: boolean;
  /** where our rules live: ip6tables chains, or our own nftables table (with Docker's nftables backend) */
  kind?: 'ip6tables' | 'nftables';
  /** how Docker filters, when known: why `kind` was chosen */
  docker?: DockerFirewall;
  /** ip6tables only: which kernel interface the ip6tables program drives */
  backend?: 'nf_tables' | 'legacy';
  /** Docker's own IPv6 masquerades, wherever its backend keeps them (ip6tables nat table, or nftables ip6 docker-bridges) */
  dockerMasq?: Array<{ source: string; bridge?: string }>;
  version?: string;
  error?: string;
  tables: ParsedRuleset;
  /** nftables: why our table stays although nothing of ours may be in it (the admin's sets or maps) */
  kept?: string;
}

/** Parses ip6tables-save output into tables, chains and rule lines. */
export function parseSave(text: string): ParsedRuleset {
  const out: ParsedRuleset = {};
  let cur: ParsedTable | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('*')) { cur = out[line.slice(1)] ??= { chains: {}, rules: [] }; continue; }
    if (!cur) continue;
    if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      cur.chains[name] = policy ?? '-';
    } else if (line.startsWith('-A ')) cur.rules.push(line);
    else if (line === 'COMMIT') cur = undefined;
  }
  return out;
}

/** Tokenise one rule line the way iptables prints it (double quotes for comments). */
export function ruleTokens(line: string): string[] {
  const toks: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) toks.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return toks;
}

/** Docker's masquerades as the firewall facts have them: found by the adapter, else read from the ip6tables tables. */
export function dockerMasqOf(f: Pick<FirewallFacts, 'dockerMasq' | 'tables'>): Array<{ source: string; bridge?: string }> {
  return f.dockerMasq ?? dockerMasquerades(f.tables);
}

/** Docker's own IPv6 masquerade rules: "-A POSTROUTING -s P ! -o BR -j MASQUERADE" -> [{source, bridge}]. */
export function dockerMasquerades(rs: ParsedRuleset): Array<{ source: string; bridge?: string }> {
  const out: Array<{ source: string; bridge?: string }> = [];
  for (const line of rs.nat?.rules ?? []) {
    const t = ruleTokens(line);
    if (t[1] !== 'POSTROUTING' || !t.includes('MASQUERADE') || line.includes('--comment')) continue;
    const s = t.indexOf('-s');
    if (s < 0) continue;
    const o = t.indexOf('-o');
    out.push({ source: t[s + 1], bridge: o > 0 && t[o - 1] === '!' ? t[o + 1] : undefined });
  }
  return out;
}

const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/**
 * The rules Docker's ip6tables support puts into the built-in chains, as their save lines by table: its masquerades
 * (POSTROUTING) and its jumps into its own DOCKER* chains. Rules of ours (they carry a comment) are never among them.
 * Deleting these lines edits no DOCKER* chain: what is left of Docker's chains is then reached by nothing.
 */
export function dockerBuiltinRules(rs: ParsedRuleset): Record<'nat' | 'filter', string[]> {
  const out = { nat: [] as string[], filter: [] as string[] };
  for (const table of ['nat', 'filter'] as const) {
    for (const line of rs[table]?.rules ?? []) {
      if (line.includes('--comment')) continue;
      const t = ruleTokens(line);
      if (t[0] !== '-A' || !BUILTIN_CHAINS.has(t[1])) continue;
      const target = t[t.indexOf('-j') + 1] ?? '';
      const masq = table === 'nat' && dockerMasquerades({ nat: { chains: {}, rules: [line] } }).length === 1;
      if (masq || /^DOCKER/.test(target)) out[table].push(line);
    }
  }
  return out;
}
