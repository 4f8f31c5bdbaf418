// The nftables adapter: our rules in our own table (`ip6 docker-ipv6`), written as one atomic `nft -f` script;
// Docker's own IPv6 rules read from its `ip6 docker-bridges` table (Docker 29+ with "firewall-backend": "nftables").
import { accessSync, constants } from 'node:fs';
import { run, type Runner } from '../util/exec';
import { CommandError, PreconditionError } from '../errors';
import type { FirewallFacts, ParsedRuleset } from '../model/ip6tables-save';
import { dockerNftMasquerades, nftTableView, parseNftJson, type NftObjects, type NftTableView } from '../model/nft-json';
import { NFT_FAMILY, NFT_TABLE, nftBlindScript, nftKeeps, nftScript } from '../model/nft-script';
import type { FirewallAdapter } from './interfaces';

const HINT = 'install it: apt-get install nftables';
/** Docker's table for IPv6 under its nftables backend. */
export const DOCKER_NFT_TABLE = 'docker-bridges';

/**
 * The nftables program from the system folders: an `nft` earlier on PATH may be something else entirely (npm puts
 * node_modules/.bin first in scripts, and ava's @vercel/nft installs a "nft" there), and root should not run that.
 */
export function nftBinary(dirs = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin']): string {
  for (const d of dirs) {
    try { accessSync(`${d}/nft`, constants.X_OK); return `${d}/nft`; } catch { /* next */ }
  }
  return 'nft';
}

export class Nftables {
  constructor(private readonly runner: Runner = run, private readonly binary = nftBinary()) {}

  async version(): Promise<string> {
    const r = await this.runner([this.binary, '--version'], { hint: HINT });
    return /v([\d.]+)/.exec(r.stdout)?.[1] ?? r.stdout.trim();
  }

  /** `nft -j list table FAMILY NAME`; an absent table is an empty list, not an error. */
  async listTable(family: string, name: string): Promise<NftObjects> {
    const r = await this.runner([this.binary, '-j', 'list', 'table', family, name], { okCodes: [1], hint: HINT });
    if (r.code === 1) {
      if (/No such file or directory/.test(r.stderr)) return parseNftJson('');
      throw new CommandError([this.binary, '-j', 'list', 'table', family, name], 1, r.stderr, undefined, HINT);
    }
    return parseNftJson(r.stdout);
  }

  /** `nft -j list tables`: every table's family and name (for doctor: who else filters). */
  async tables(): Promise<Array<{ family: string; name: string }>> {
    const r = await this.runner([this.binary, '-j', 'list', 'tables'], { hint: HINT });
    return parseNftJson(r.stdout).tables;
  }

  /** Applies the whole script or nothing of it (one nftables transaction). */
  async apply(script: string): Promise<void> {
    await this.runner([this.binary, '-f', '-'], {
      input: script,
      meanings: { 1: 'the script was rejected, nothing from it was applied' },
      hint: 'the rules are shown with --dry-run (as ip6tables lines; docker-ipv6 writes them into table ip6 docker-ipv6)',
    });
  }

  async ours(): Promise<NftTableView> {
    return nftTableView(await this.listTable(NFT_FAMILY, NFT_TABLE), NFT_FAMILY, NFT_TABLE);
  }
}

/** nft 1.0 and later resolve a rule index against rules added earlier in the same transaction (0.9.x not always). */
export function indexesWork(version: string): boolean {
  return Number(/^(\d+)\./.exec(version)?.[1] ?? 0) >= 1;
}

function only(rs: ParsedRuleset, table?: 'nat' | 'filter'): ParsedRuleset {
  return table ? (rs[table] ? { [table]: rs[table] } : {}) : rs;
}

/** Our rules in nftables, behind the same interface as ip6tables: the batch language stays the ip6tables one. */
export function nftFirewall(nft: Nftables = new Nftables()): FirewallAdapter {
  /** whether this nft places `add rule ... index N` among rules added earlier in the same script (asked once) */
  let indexes: boolean | undefined;
  return {
    kind: 'nftables',
    async read(table) { return only((await nft.ours()).ruleset, table); },
    async restore(batch) {
      // without reading the table first when nft can check the script itself (nftBlindScript): one process, not two
      const needsIndexes = /^-I \S+ (?!1 )\d+ /m.test(batch);
      if (needsIndexes && indexes === undefined) indexes = await nft.version().then(indexesWork, () => false);
      const blind = nftBlindScript(batch, { indexes: !!indexes });
      if (blind) {
        try { await nft.apply(blind); return; } catch { /* what the table does not allow: translated against it below, for the refusal's message */ }
      }
      // translated against the table as it is now: a rule removed meanwhile makes the script fail as a whole
      const script = nftScript(batch, await nft.ours());
      if (script) await nft.apply(script);
    },
    async facts(): Promise<FirewallFacts> {
      try {
        const version = await nft.version();
        const [ours, docker] = await Promise.all([nft.ours(), nft.listTable('ip6', DOCKER_NFT_TABLE)]);
        const kept = nftKeeps(ours);
        return { available: true, kind: 'nftables', version, tables: ours.ruleset, dockerMasq: dockerNftMasquerades(docker, DOCKER_NFT_TABLE), ...(kept ? { kept } : {}) };
      } catch (e) {
        if (e instanceof PreconditionError) return { available: false, kind: 'nftables', error: e.message, tables: {} };
        return { available: true, kind: 'nftables', error: `cannot read nftables: ${(e as Error).message}`, tables: {} };
      }
    },
    async dockerMasquerades() { return dockerNftMasquerades(await nft.listTable('ip6', DOCKER_NFT_TABLE), DOCKER_NFT_TABLE); },
  };
}
