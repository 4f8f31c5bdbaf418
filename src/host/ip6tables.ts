// The ip6tables adapter: backend detection, parsing ip6tables-save, and atomic restore batches.
import { run, type Runner } from '../util/exec';
import { CommandError, PreconditionError } from '../errors';

export interface ParsedTable {
  /** chain name -> policy ("-" for user chains) */
  chains: Record<string, string>;
  /** full rule lines as printed by -save, e.g. "-A POSTROUTING -s fd00::/64 ! -o docker0 -j MASQUERADE" */
  rules: string[];
}
export type ParsedRuleset = Record<string, ParsedTable>;

export interface FirewallFacts {
  available: boolean;
  backend?: 'nf_tables' | 'legacy';
  version?: string;
  error?: string;
  tables: ParsedRuleset;
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

export class Ip6tables {
  constructor(private readonly runner: Runner = run, private readonly binary = 'ip6tables') {}

  async version(): Promise<{ version: string; backend: 'nf_tables' | 'legacy' }> {
    const r = await this.runner([this.binary, '--version'], { hint: 'install it: apt-get install iptables' });
    const m = /v([\d.]+)(?:\s+\((nf_tables|legacy)\))?/.exec(r.stdout);
    return { version: m?.[1] ?? r.stdout.trim(), backend: (m?.[2] as 'nf_tables' | 'legacy') ?? 'legacy' };
  }

  async save(table?: string): Promise<string> {
    const argv = [`${this.binary}-save`];
    if (table) argv.push('-t', table);
    return (await this.runner(argv, { hint: 'check that the ip6_tables / nf_tables kernel modules are available' })).stdout;
  }

  /** Applies a whole batch atomically (ip6tables-restore commits per table or not at all). */
  async restore(batch: string): Promise<void> {
    await this.runner([`${this.binary}-restore`, '-w', '10', '--noflush'], {
      input: batch,
      meanings: { 1: 'the batch was rejected, nothing from it was applied', 4: 'xtables lock held by another program (retry)' },
      hint: 'the rules in the batch are shown with --dry-run',
    });
  }

  async facts(): Promise<FirewallFacts> {
    let v: { version: string; backend: 'nf_tables' | 'legacy' };
    try {
      v = await this.version();
    } catch (e) {
      if (e instanceof PreconditionError) return { available: false, error: e.message, tables: {} };
      throw e;
    }
    try {
      return { available: true, ...v, tables: parseSave(await this.save()) };
    } catch (e) {
      const msg = e instanceof CommandError ? e.message : String(e);
      return { available: true, ...v, error: `cannot read the IPv6 firewall: ${msg}`, tables: {} };
    }
  }
}
