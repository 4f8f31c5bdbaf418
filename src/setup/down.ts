// enable with a local Docker that is down: the version its binary would start as, why it does not start
// (as far as dockerd --validate and our rules can tell without starting it), and what cannot be checked
// until it runs again. A common cause is daemon.json itself ("ip6tables": true without "experimental" on
// 20.10/26): enable's own rewrite of the keys it owns fixes that, so it plans, starts Docker and verifies.
import { joinCommand } from '../util/command';
import type { RunContext } from '../cli/context';
import type { HostSnapshot } from '../observe/snapshot';

export interface DockerDown {
  /** the version `--dockerd` reports: the keys are planned for it */
  version: string;
  versionFrom: string;
  /** what dockerd --validate or our rules for that version say about daemon.json now; undefined: nothing found */
  reason?: string;
  reasonBy: string;
  /** keys our rules name in the reason (dockerd --validate names none we can attribute) */
  keys: string[];
  /** facts a running Docker would give that the plan could not use, and when they are checked instead */
  unchecked: string[];
}

export const UNCHECKED_WHILE_DOWN = [
  'subnet conflicts with Docker\'s networks: checked right after Docker starts; a conflict rolls everything back',
  'dockerd\'s command-line flags (a key both a flag and in daemon.json stops dockerd): a start that fails on it is rolled back',
  'networks created without IPv6 (to recreate): listed by the next enable or doctor once Docker runs',
];

/** Docker does not answer at a local endpoint and no dockerd process reads our daemon.json: down, not slow or refusing us. */
export function dockerIsDown(snap: HostSnapshot): boolean {
  return snap.endpoint.local && !snap.daemon.reachable && snap.dockerdRunning === false;
}

/** Asks the dockerd binary (--dockerd) its version and whether it would start with daemon.json as it is now. */
export async function diagnoseDown(ctx: Pick<RunContext, 'host' | 'globals'>, snap: HostSnapshot): Promise<DockerDown> {
  const dockerd = ctx.globals.dockerd;
  const version = await ctx.host.dockerd.binaryVersion(dockerd);
  const base = { version, versionFrom: `${dockerd} --version`, unchecked: UNCHECKED_WHILE_DOWN };
  // a file that does not parse is refused before any of this matters (planEnable says why)
  if (snap.daemonConfig.error) return { ...base, reason: snap.daemonConfig.error, reasonBy: 'docker-ipv6\'s parser (as strict as dockerd\'s)', keys: [] };
  const v = await ctx.host.dockerd.validateConfig(dockerd, snap.daemonConfig.text || '{}', version);
  const by = v.by === 'dockerd' ? `${dockerd} --validate and docker-ipv6's rules for ${version}` : `docker-ipv6's rules for dockerd ${version} (it has no --validate)`;
  if (v.ok) return { ...base, reasonBy: by, keys: [] };
  return { ...base, reason: v.message, reasonBy: by, keys: [...new Set(v.findings.filter((f) => f.severity === 'error').map((f) => f.key))] };
}

/** The plan's lines about a Docker that is down (text output). */
export function downText(d: DockerDown, configPath: string, fixes: string[], restartCommand: readonly string[]): string[] {
  const out = [`Docker   down: no dockerd runs with ${configPath}; planned for dockerd ${d.version} (${d.versionFrom})`];
  if (d.reason) out.push(`  why: ${d.reason}`, `       (found by ${d.reasonBy})`);
  else out.push(`  why: not found: daemon.json passes ${d.reasonBy}; the start below will tell (its log: journalctl -u docker)`);
  // shown only once the new text passed the same checks (enable refuses otherwise)
  if (d.reason) out.push(`  fix: enable rewrites keys it owns (${fixes.map((k) => `"${k}"`).join(', ')}); the new daemon.json passes those checks`);
  out.push(`  enable starts Docker (${joinCommand(restartCommand)}) and checks it; if it does not come up, daemon.json is restored`,
    '  byte for byte and Docker is left down, as it is now');
  out.push('  not checked while Docker is down:', ...d.unchecked.map((u) => `    - ${u}`));
  return out;
}
