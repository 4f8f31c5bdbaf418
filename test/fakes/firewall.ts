// Strict fake of the ip6tables adapter: a tiny ip6tables-save / restore --noflush model that throws on any statement it does not know.
import type { FirewallAdapter } from '../../src/host/interfaces';
import { dockerMasquerades, parseSave, type FirewallFacts, type ParsedRuleset } from '../../src/model/ip6tables-save';

type Tables = Record<string, { chains: string[]; policies: Record<string, string>; rules: Record<string, string[]> }>;

const BUILTIN = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'FORWARD'];

/** Models ip6tables-save / restore --noflush for the statements our batches use; anything else throws. */
export class FakeFirewall implements FirewallAdapter {
  tables: Tables = {
    nat: { chains: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], policies: {}, rules: { PREROUTING: [], INPUT: [], OUTPUT: [], POSTROUTING: [] } },
    filter: { chains: ['INPUT', 'FORWARD', 'OUTPUT'], policies: {}, rules: { INPUT: [], FORWARD: [], OUTPUT: [] } },
  };
  restores: string[] = [];
  saves = 0;
  /** every save and restore in order, shared with the other fakes of a fakeHost when given */
  constructor(private readonly log: string[] = []) {}

  /** `table` given: only that table, as `ip6tables-save -t TABLE` prints it. */
  async save(table?: 'nat' | 'filter'): Promise<string> {
    this.saves++;
    if (table && !this.tables[table]) throw new Error(`fake ip6tables: no table ${table}`);
    const out: string[] = [];
    for (const [name, t] of Object.entries(this.tables)) {
      if (table && name !== table) continue;
      out.push(`*${name}`);
      for (const c of t.chains) out.push(`:${c} ${BUILTIN.includes(c) ? t.policies[c] ?? 'ACCEPT' : '-'} [0:0]`);
      for (const c of t.chains) for (const r of t.rules[c]) out.push(`-A ${c} ${r}`);
      out.push('COMMIT');
    }
    return `${out.join('\n')}\n`;
  }

  kind = 'ip6tables' as const;

  async read(table?: 'nat' | 'filter'): Promise<ParsedRuleset> {
    return parseSave(await this.save(table));
  }

  async facts(): Promise<FirewallFacts> {
    const tables = parseSave(await this.save());
    return { available: true, kind: 'ip6tables', backend: 'nf_tables', version: '1.8.9', tables, dockerMasq: dockerMasquerades(tables) };
  }

  async dockerMasquerades(): Promise<Array<{ source: string; bridge?: string }>> {
    return dockerMasquerades(parseSave(await this.save('nat')));
  }

  /** every batch tried (a refused one too), in order */
  async restore(batch: string): Promise<void> {
    this.restores.push(batch);
    const copy: Tables = JSON.parse(JSON.stringify(this.tables));
    let t: Tables[string] | undefined;
    for (const line of batch.split('\n').filter(Boolean)) {
      const need = () => { if (!t) throw new Error(`fake ip6tables: ${line} outside a table`); return t; };
      const chainOf = (c: string) => { if (!need().chains.includes(c)) throw new Error(`fake ip6tables: no chain ${c}`); return t!.rules[c]; };
      // as the real one: a jump needs its chain (declared earlier in the batch, or there already)
      const target = (rule: string) => {
        const j = / -j (\S+)$/.exec(rule)?.[1];
        if (j && !['ACCEPT', 'DROP', 'RETURN', 'MASQUERADE', 'REJECT', 'SNAT', 'DNAT', 'NETMAP', 'LOG'].includes(j) && !need().chains.includes(j)) throw new Error(`fake ip6tables: ${line}: no chain ${j} to jump to`);
        return rule;
      };
      let m: RegExpExecArray | null;
      if ((m = /^\*(\w+)$/.exec(line))) { t = copy[m[1]]; if (!t) throw new Error(`fake ip6tables: no table ${m[1]}`); }
      else if (line === 'COMMIT') t = undefined;
      // as the real ip6tables-restore --noflush: declaring a user chain that exists flushes it
      else if ((m = /^:(\S+) - \[0:0\]$/.exec(line))) { if (!need().chains.includes(m[1])) t!.chains.push(m[1]); t!.rules[m[1]] = []; }
      // a built-in chain's line sets its policy and keeps its rules
      else if ((m = /^:(\S+) (ACCEPT|DROP) \[0:0\]$/.exec(line))) { if (!BUILTIN.includes(m[1]) || !need().chains.includes(m[1])) throw new Error(`fake ip6tables: policy of ${m[1]}, not a built-in chain here`); t!.policies[m[1]] = m[2]; }
      else if ((m = /^-F (\S+)$/.exec(line))) chainOf(m[1]).length = 0;
      else if ((m = /^-X (\S+)$/.exec(line))) {
        if (chainOf(m[1]).length) throw new Error(`fake ip6tables: -X ${m[1]}: chain not empty`);
        for (const rs of Object.values(t!.rules)) if (rs.some((r) => r.endsWith(`-j ${m![1]}`))) throw new Error(`fake ip6tables: -X ${m[1]}: still referenced`);
        t!.chains = t!.chains.filter((c) => c !== m![1]); delete t!.rules[m[1]];
      } else if ((m = /^-A (\S+) (.+)$/.exec(line))) chainOf(m[1]).push(target(m[2]));
      else if ((m = /^-D (\S+) (.+)$/.exec(line))) {
        const rs = chainOf(m[1]); const i = rs.indexOf(m[2]);
        if (i < 0) throw new Error(`fake ip6tables: -D ${m[1]}: no such rule`);
        rs.splice(i, 1);
      } else if ((m = /^-I (\S+) (\d+) (.+)$/.exec(line))) {
        const rs = chainOf(m[1]); const at = Number(m[2]);
        if (at < 1 || at > rs.length + 1) throw new Error(`fake ip6tables: -I ${m[1]} ${at}: index of insertion too big`);
        rs.splice(at - 1, 0, target(m[3]));
      }
      else throw new Error(`fake ip6tables: unsupported line ${line}`);
    }
    if (t) throw new Error('fake ip6tables: missing COMMIT');
    this.tables = copy;
    for (const table of new Set([...batch.matchAll(/^\*(\w+)$/gm)].map((x) => x[1]))) this.log.push(`ip6tables-restore ${table}`);
  }

  /** A chain exists in the table. */
  has(table: string, chain: string): boolean {
    return !!this.tables[table]?.chains.includes(chain);
  }

  /** Rules of one chain as `-A CHAIN ...` lines would show them, without the `-A CHAIN` part. */
  rules(table: string, chain: string): string[] {
    const t = this.tables[table];
    if (!t?.chains.includes(chain)) throw new Error(`fake ip6tables: no chain ${chain} in ${table}`);
    return [...t.rules[chain]];
  }
}
