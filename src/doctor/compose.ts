// doctor --compose FILE: the lint issue's Compose rules, as doctor findings in the compose layer (lint itself reads and parses).
import type { HostSnapshot } from '../observe/snapshot';
import type { Finding as LintFinding, HostNetwork } from '../lint/types';
import { finding, ok } from './derive';
import type { Finding } from './types';

/** The host's networks as lint's collision rule wants them, from the snapshot (no second Docker call). */
export function hostNetworksOf(snap: HostSnapshot): HostNetwork[] | undefined {
  if (!snap.daemon.reachable) return undefined;
  return snap.networks.map((n) => ({
    name: n.name, subnets: [...n.ipv4Subnets, ...n.ipv6Subnets],
    composeProject: n.labels['com.docker.compose.project'], composeNetwork: n.labels['com.docker.compose.network'],
  }));
}

export function composeFindings(files: readonly string[], lint: readonly LintFinding[]): Finding[] {
  const out = lint.filter((f) => f.severity !== 'info').map((f) => finding(`compose.${f.rule.replace(/^compose\//, '')}`, 'compose', f.severity === 'error' ? 'fail' : 'warn',
    `${f.file}:${f.line}:${f.col}: ${f.message}`, f.fix.startsWith('docker') ? f.fix : `${f.fix} (docker ipv6 lint --fix ${f.file} does the Compose part)`, undefined, f.file));
  return out.length ? out : [ok('compose.lint', 'compose', `${files.join(', ')}: no IPv6 mistakes found`)];
}

export async function lintCompose(files: readonly string[], snap: HostSnapshot): Promise<Finding[]> {
  const { collectSources } = await import('../lint/inputs');
  const { lintSources } = await import('../lint/engine');
  const sources = await collectSources([...files], process.stdin);
  // naming a Compose file to doctor asks for IPv6 in it: the intent gate of a plain lint run does not apply
  const result = lintSources(sources, { hostNetworks: hostNetworksOf(snap), requireIpv6: true });
  return composeFindings(files, result.findings);
}
