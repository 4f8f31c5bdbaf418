// Our ip6tables-restore batches carried out in our own nftables table instead: one `nft -f` script, applied as one
// transaction (pure).
//
// The reconcile diff speaks one language for both backends: the `ip6tables-restore --noflush` batch of our chains
// (firewall/batches.ts, reconcile/diff.ts). With Docker's nftables backend the same batch is translated here,
// statement by statement, against the table as it is now (its rule handles), into `table ip6 docker-ipv6`:
//   - its base chains FORWARD (hook forward) and POSTROUTING (hook postrouting, nat) stand for the built-in
//     chains; we create them when a rule needs them and delete them when nothing is left in them;
//   - D6-FORWARD, D6-USER and D6-NAT are regular chains, as in ip6tables;
//   - the table goes away with its last rule and chain, so disable leaves the ruleset as it found it.
// Semantics kept from ip6tables-restore: declaring a chain that exists flushes it, -X of a chain in use or not
// empty fails, -D of a missing rule fails; any failure rejects the whole script (nft's transaction).
//
// Why priority filter - 1 / srcnat - 1: in nftables every base chain on a hook sees the packet and a drop in any of
// them is final, while an accept only ends its own chain. Running just before Docker's chains changes nothing for
// the drops; it keeps our verdicts first in `nft list ruleset` order, where a person reads them first.
import { nftStatement, parseRuleLine } from './fw-rule';
import type { NftTableView } from './nft-json';

export const NFT_FAMILY = 'ip6';
export const NFT_TABLE = 'docker-ipv6';

const BASE: Record<string, string> = {
  FORWARD: 'type filter hook forward priority filter - 1; policy accept;',
  POSTROUTING: 'type nat hook postrouting priority srcnat - 1; policy accept;',
  PREROUTING: 'type nat hook prerouting priority dstnat - 1; policy accept;',
};

interface Entry { line: string; handle?: number }

export class NftScriptError extends Error {}

/** Why our table stays after everything of ours left it (objects someone else put there), or undefined. */
export function nftKeeps(view: Pick<NftTableView, 'others'>): string | undefined {
  return view.others?.length ? `table ${NFT_FAMILY} ${NFT_TABLE} is kept: it also holds ${view.others.join(', ')}, which docker-ipv6 did not write` : undefined;
}

/**
 * The nft script for `batch` against the table as `view` shows it, or '' when the batch changes nothing there
 * (an empty table stays absent).
 */
export function nftScript(batch: string, view: NftTableView): string {
  const T = `${NFT_FAMILY} ${NFT_TABLE}`;
  const chains = new Map<string, Entry[]>();
  for (const t of Object.values(view.ruleset)) {
    for (const c of Object.keys(t.chains)) chains.set(c, []);
  }
  for (const t of Object.values(view.ruleset)) {
    for (const line of t.rules) {
      const c = /^-A (\S+) /.exec(line)![1];
      const list = chains.get(c) ?? [];
      list.push({ line, handle: view.handles[c]?.[list.length] });
      chains.set(c, list);
    }
  }
  const base = new Set(view.base);
  const out: string[] = [`add table ${T}`];
  const chainOf = (c: string, line: string): Entry[] => {
    if (c in BASE && !chains.has(c)) {
      out.push(`add chain ${T} ${c} { ${BASE[c]} }`);
      chains.set(c, []);
      base.add(c);
    }
    const list = chains.get(c);
    if (!list) throw new NftScriptError(`${line}: no chain ${c} in ${T}`);
    return list;
  };
  const stmt = (line: string): string => {
    const r = parseRuleLine(line);
    if (!r) throw new NftScriptError(`${line}: not a rule docker-ipv6 writes (nothing else is translated to nftables)`);
    return nftStatement(r);
  };
  for (const raw of batch.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if (!line || line === 'COMMIT' || /^\*(nat|filter)$/.test(line)) continue;
    if ((m = /^:(\S+) - \[0:0\]$/.exec(line))) {
      const c = m[1];
      if (c in BASE) { chainOf(c, line); continue; }
      if (chains.has(c)) { out.push(`flush chain ${T} ${c}`); chains.set(c, []); } else { out.push(`add chain ${T} ${c}`); chains.set(c, []); }
    } else if ((m = /^-F (\S+)$/.exec(line))) {
      chainOf(m[1], line).length = 0;
      out.push(`flush chain ${T} ${m[1]}`);
    } else if ((m = /^-X (\S+)$/.exec(line))) {
      const c = m[1];
      if (chainOf(c, line).length) throw new NftScriptError(`${line}: chain ${c} is not empty`);
      const user = [...chains].find(([, rs]) => rs.some((e) => e.line.endsWith(` -j ${c}`)));
      if (user) throw new NftScriptError(`${line}: chain ${c} is still jumped to from ${user[0]}`);
      chains.delete(c);
      out.push(`delete chain ${T} ${c}`);
    } else if ((m = /^-A (\S+) /.exec(line))) {
      const s = stmt(line);
      chainOf(m[1], line).push({ line });
      out.push(`add rule ${T} ${m[1]} ${s}`);
    } else if ((m = /^-D (\S+) (.+)$/.exec(line))) {
      const want = `-A ${m[1]} ${m[2]}`;
      const list = chainOf(m[1], line);
      const i = list.findIndex((e) => e.line === want);
      if (i < 0) throw new NftScriptError(`${line}: no such rule in ${m[1]}`);
      if (list[i].handle === undefined) throw new NftScriptError(`${line}: the rule was added by this batch (no handle to delete it by)`);
      out.push(`delete rule ${T} ${m[1]} handle ${list[i].handle}`);
      list.splice(i, 1);
    } else if ((m = /^-I (\S+) (\d+) (.+)$/.exec(line))) {
      const at = Number(m[2]);
      const list = chainOf(m[1], line);
      const s = stmt(`-A ${m[1]} ${m[3]}`);
      if (at < 1 || at > list.length + 1) throw new NftScriptError(`${line}: index of insertion too big`);
      if (at === 1) out.push(`insert rule ${T} ${m[1]} ${s}`);
      else if (at === list.length + 1) out.push(`add rule ${T} ${m[1]} ${s}`);
      else {
        const before = list[at - 1].handle;
        if (before === undefined) throw new NftScriptError(`${line}: the rule at ${at} was added by this batch (no handle to insert before)`);
        out.push(`insert rule ${T} ${m[1]} position ${before} ${s}`);
      }
      list.splice(at - 1, 0, { line: `-A ${m[1]} ${m[3]}` });
    } else throw new NftScriptError(`${line}: not a statement docker-ipv6 batches use`);
  }
  // what is left: the table goes with its last rule and regular chain; an empty base chain goes on its own
  const regular = [...chains.keys()].filter((c) => !base.has(c));
  const rules = [...chains.values()].reduce((n, l) => n + l.length, 0);
  if (regular.length === 0 && rules === 0 && !view.others?.length) {
    return view.exists ? `delete table ${T}\n` : '';
  }
  // the admin keeps sets or maps in our table: it stays, emptied of what is ours (nftKeeps says so)
  for (const c of base) if (chains.get(c)?.length === 0) out.push(`delete chain ${T} ${c}`);
  return `${out.join('\n')}\n`;
}

/**
 * The nft script for `batch` without looking at the table first, or undefined when the batch needs what only
 * the table can tell (rule handles for -D, whether -X leaves the table empty, base chains declared or flushed).
 * Every statement is written so that nft itself checks what nftScript would check against the table: a chain
 * declared is added then flushed (either way it ends empty, as ip6tables-restore leaves it), a rule is added
 * to a chain that must exist, `-I CHAIN N` becomes `insert` (N = 1) or `add ... index N-2` (after the rule now
 * at N-1, rules added earlier in the script counted: nft 1.0+, `indexes`); anything the table does not allow
 * fails the whole script, which the adapter then translates against the table (nftScript) for its message.
 * What this saves is a process per change: the agent's fast path inserts a network's rules, and a full pass
 * writes its chains whole, without the `nft -j list table` before (the pass has just read the table anyway).
 */
export function nftBlindScript(batch: string, opts: { indexes: boolean }): string | undefined {
  const T = `${NFT_FAMILY} ${NFT_TABLE}`;
  const out: string[] = [`add table ${T}`];
  const based = new Set<string>();
  const chain = (c: string): string => {
    // a base chain gets its hook with its first rule (added as nftScript adds it, idempotent when it exists)
    if (c in BASE && !based.has(c)) { based.add(c); out.push(`add chain ${T} ${c} { ${BASE[c]} }`); }
    return c;
  };
  const stmt = (line: string): string | undefined => {
    const r = parseRuleLine(line);
    return r && nftStatement(r);
  };
  for (const raw of batch.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if (!line || line === 'COMMIT' || /^\*(nat|filter)$/.test(line)) continue;
    if ((m = /^:(\S+) - \[0:0\]$/.exec(line)) && !(m[1] in BASE)) {
      out.push(`add chain ${T} ${m[1]}`, `flush chain ${T} ${m[1]}`);
    } else if ((m = /^-F (\S+)$/.exec(line)) && !(m[1] in BASE)) {
      out.push(`flush chain ${T} ${m[1]}`);
    } else if ((m = /^-A (\S+) /.exec(line))) {
      const s = stmt(line);
      if (!s) return undefined;
      out.push(`add rule ${T} ${chain(m[1])} ${s}`);
    } else if ((m = /^-I (\S+) (\d+) (.+)$/.exec(line))) {
      const at = Number(m[2]);
      const s = stmt(`-A ${m[1]} ${m[3]}`);
      if (!s || at < 1 || (at > 1 && !opts.indexes)) return undefined;
      out.push(at === 1 ? `insert rule ${T} ${chain(m[1])} ${s}` : `add rule ${T} ${chain(m[1])} index ${at - 2} ${s}`);
    } else return undefined;
  }
  return out.length > 1 ? `${out.join('\n')}\n` : undefined;
}
