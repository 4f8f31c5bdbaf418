// Read-only looks at the firewalls beside the one our rules live in, for doctor: both iptables variants (nft and
// legacy, IPv4 and IPv6), the nftables table list, and firewalld. Nothing here writes; a missing tool answers undefined.
import { readFile } from 'node:fs/promises';
import { PreconditionError } from '../errors';
import { parseSave, type ParsedRuleset } from '../model/ip6tables-save';
import { parseNftJson } from '../model/nft-json';
import { run, type Runner } from '../util/exec';
import type { FirewallSurvey, XtablesVariant } from './interfaces';
import { nftBinary } from './nftables';

const PROC_NAMES: Record<4 | 6, string> = { 4: '/proc/net/ip_tables_names', 6: '/proc/net/ip6_tables_names' };

function saveTool(family: 4 | 6, variant: XtablesVariant): string {
  return `${family === 6 ? 'ip6tables' : 'iptables'}-${variant}-save`;
}

export function firewallSurvey(runner: Runner = run, readText: (p: string) => Promise<string> = (p) => readFile(p, 'utf8'), nft = nftBinary()): FirewallSurvey {
  return {
    async xtables(family, variant) {
      // the legacy tables exist only once their kernel module is loaded; reading /proc first spawns nothing on
      // the usual nf_tables host (and never makes the legacy tool load a module)
      if (variant === 'legacy' && !(await readText(PROC_NAMES[family]).catch(() => '')).trim()) return undefined;
      try {
        const text = (await runner([saveTool(family, variant)], { timeoutMs: 10_000 })).stdout;
        return parseSave(text) as ParsedRuleset;
      } catch (e) {
        if (e instanceof PreconditionError) return undefined; // that variant's tools are not installed
        throw e;
      }
    },
    async nftTables() {
      try {
        return parseNftJson((await runner([nft, '-j', 'list', 'tables'], { timeoutMs: 10_000 })).stdout).tables;
      } catch (e) {
        if (e instanceof PreconditionError) return undefined;
        throw e;
      }
    },
    async firewalldState() {
      try {
        // exit 0 "running", 252 "not running"
        const r = await runner(['firewall-cmd', '--state'], { timeoutMs: 10_000, okCodes: [252] });
        return /^running/.test(r.stdout.trim()) ? 'running' : 'not running';
      } catch (e) {
        if (e instanceof PreconditionError) return undefined;
        return 'not running';
      }
    },
  };
}
