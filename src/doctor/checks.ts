// The table of checks doctor runs: every layer, in order, each a pure function of the snapshot and extra facts.
import { BACKEND_CHECKS, nftForwarding } from './checks-backend';
import { DAEMON_CHECKS, reachable } from './checks-daemon';
import { KERNEL_CHECKS } from './checks-kernel';
import { NETWORK_CHECKS } from './checks-networks';
import { PORT_CHECKS } from './checks-ports';
import { KEEP_CHECKS } from './checks-keep';
import { finding, ok, skip } from './derive';
import { LAYERS, type Check, type DoctorInput, type Finding, type Layer } from './types';

/** Live checks: their results come from probe.ts; without --probe they are skipped. */
const PROBES: Array<{ id: string; layer: Layer; what: string; fix: string }> = [
  { id: 'dns.aaaa', layer: 'dns', what: "Docker's embedded DNS answers AAAA for a container name", fix: 'check that the network has IPv6 (docker network inspect NET -f {{.EnableIPv6}}) and that the container got an IPv6 address' },
  { id: 'outside.egress', layer: 'outside', what: 'a container reaches the upstream router over IPv6', fix: 'docker ipv6 doctor (the outside, firewall and kernel findings name the missing piece); for routed mode add the route on the upstream router' },
  { id: 'ports.published', layer: 'ports', what: 'a published port answers on the host\'s IPv6 address', fix: 'publish the port on [::] too and check the firewall findings' },
];

export const probeChecks: Check = (i) => {
  const main = PROBES.map((p) => {
    if (i.probes === undefined) return skip(p.id, p.layer, `${p.what}: not tested (run with --probe)`);
    const r = i.probes.find((x) => x.id === p.id);
    if (!r || r.ok === undefined) return skip(p.id, p.layer, r?.detail ?? `${p.what}: nothing to test`);
    return r.ok ? ok(p.id, p.layer, r.detail) : finding(p.id, p.layer, 'fail', r.detail, r.fix ?? p.fix);
  });
  // further live checks verify adds (container to container, expected source address, ...); ones verify could not judge are skip
  const more = (i.probes ?? []).filter((r) => !PROBES.some((p) => p.id === r.id)).map((r) => {
    const layer = (LAYERS as readonly string[]).includes(r.id.split('.')[0]) ? r.id.split('.')[0] as Layer : 'outside';
    if (r.ok === undefined) return skip(r.id, layer, r.detail);
    return r.ok ? ok(r.id, layer, r.detail) : finding(r.id, layer, 'fail', r.detail, r.fix ?? 'docker ipv6 verify shows the details');
  });
  return [...main, ...more];
};

/** A state file docker ipv6 refuses (content it never wrote, a folder others may change): shown only when there is one. */
export const stateFileCheck: Check = (i) => (i.snap.stateError
  ? [finding('daemon.state-file', 'daemon', 'fail', i.snap.stateError, 'correct the file or its folder as the detail says; enable, disable, apply and status refuse to run on it until then')]
  : []);

/** Another host whose facts outside the Docker API nobody could read: say so once, with how to make them readable. */
export const hostFactsUnknown: Check = ({ snap }) => [finding('host.facts', 'daemon', 'warn',
  `this host's kernel, firewall, daemon.json and docker-ipv6 state are unknown: ${snap.hostSource?.detail ?? 'not read'}; nothing was checked there`,
  snap.hostSource?.hint ?? 'run docker ipv6 doctor on that host itself')];

/** With the host's own facts unknown only Docker's answer can be judged: the rest would be judged on nothing. */
export const UNKNOWN_HOST_CHECKS: Check[] = [reachable, hostFactsUnknown];

export const ALL_CHECKS: Check[] = [stateFileCheck, ...KERNEL_CHECKS, ...DAEMON_CHECKS, nftForwarding, ...NETWORK_CHECKS, ...BACKEND_CHECKS, ...KEEP_CHECKS, ...PORT_CHECKS, probeChecks];

/** Runs every check; a check that throws becomes a failed finding instead of stopping doctor. */
export function runChecks(input: DoctorInput, checks: readonly Check[] = ALL_CHECKS): Finding[] {
  const out: Finding[] = [];
  for (const c of checks) {
    try {
      out.push(...c(input));
    } catch (e) {
      out.push(finding(`internal.${c.name || 'check'}`, 'daemon', 'fail', `the check ${c.name} could not run: ${(e as Error).message}`, 'report this with docker ipv6 status --json'));
    }
  }
  return out.sort((a, b) => LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer));
}

export function summarize(findings: readonly Finding[]): Record<'ok' | 'warn' | 'fail' | 'skip' | 'fixable', number> {
  const n = { ok: 0, warn: 0, fail: 0, skip: 0, fixable: 0 };
  for (const f of findings) { n[f.status]++; if (f.auto) n.fixable++; }
  return n;
}
