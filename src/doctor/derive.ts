// Small pure helpers the checks share: effective daemon settings, host addresses, finding builders.
import { dockerVersionAtLeast } from '../daemon/version';
import { classifyOutside, type Outside } from '../observe/outside';
import type { HostSnapshot } from '../observe/snapshot';
import type { NetworkFacts } from '../model/docker';
import { classifyV6, parseCidr6 } from '../model/ip';
import type { AutoFix, Check, DoctorInput, Finding, Layer, Status } from './types';

export function finding(id: string, layer: Layer, status: Status, detail: string, fix = '', auto?: AutoFix, subject?: string): Finding {
  const f: Finding = { id, layer, status, detail, fix };
  if (auto && status !== 'ok' && status !== 'skip') f.auto = auto;
  if (subject) f.subject = subject;
  return f;
}

export const ok = (id: string, layer: Layer, detail: string, subject?: string) => finding(id, layer, 'ok', detail, '', undefined, subject);
export const skip = (id: string, layer: Layer, detail: string) => finding(id, layer, 'skip', detail);

/** Why a check that reads Docker's networks and containers, or the IPv6 firewall, cannot run; undefined when it can. */
export function unavailable(i: DoctorInput, needs: { docker?: boolean; firewall?: boolean }): string | undefined {
  if (needs.docker && !i.snap.daemon.reachable) return 'Docker unreachable: its networks and containers are unknown';
  const fw = i.snap.firewall;
  if (needs.firewall && (!fw.available || fw.error)) return `the IPv6 firewall could not be read (see ${fw.kind === 'nftables' ? 'kernel.nftables' : 'kernel.ip6tables'})`;
  return undefined;
}

/**
 * Wraps a check that needs Docker's networks/containers (and/or the firewall): without them the
 * snapshot's lists are empty, and "nothing wrong found" would read as ok. It reports skip instead.
 */
export function needing(needs: { docker?: boolean; firewall?: boolean }, id: string, layer: Layer, what: string, check: Check): Check {
  const wrapped: Check = (i) => {
    const why = unavailable(i, needs);
    return why ? [skip(id, layer, `${what}: not checked, ${why}`)] : check(i);
  };
  Object.defineProperty(wrapped, 'name', { value: check.name });
  return wrapped;
}

/** The daemon's version: from the API, else from the dockerd binary (the daemon may be down). */
export function dockerVersion(i: DoctorInput): string | undefined {
  return i.snap.daemon.version ?? i.extra.dockerdBinaryVersion;
}

export function config(snap: HostSnapshot): Record<string, unknown> {
  return snap.daemonConfig.value ?? {};
}

/** ip6tables as dockerd applies it: the key, else the version's default (on from 27). */
export function ip6tablesOn(i: DoctorInput): boolean {
  const v = config(i.snap).ip6tables;
  if (typeof v === 'boolean') return v;
  const ver = dockerVersion(i);
  return !!ver && dockerVersionAtLeast(ver, '27.0');
}

/** IPv6 is wanted when daemon.json says so, the saved state says enabled, or a network has it. */
export function ipv6Wanted(i: DoctorInput): boolean {
  return config(i.snap).ipv6 === true || !!i.snap.state?.enabled || i.snap.networks.some((n) => n.enableIPv6);
}

export function bridgeNetworks(snap: HostSnapshot): NetworkFacts[] {
  return snap.networks.filter((n) => n.driver === 'bridge');
}

/** Global (scope 0) IPv6 addresses of the host outside Docker's bridges. */
export function hostGlobalV6(snap: HostSnapshot): Array<{ ifname: string; address: string; prefixlen: number }> {
  const bridges = new Set(snap.networks.map((n) => n.bridge).filter(Boolean));
  return (snap.host.net?.addresses ?? []).filter((a) => {
    if (a.family !== 6 || a.scope !== 0 || bridges.has(a.ifname) || /^(docker0|br-|veth)/.test(a.ifname)) return false;
    const c = parseCidr6(a.address);
    return !!c && classifyV6(c) !== 'loopback' && classifyV6(c) !== 'link-local';
  });
}

export function defaultRoute6(snap: HostSnapshot) {
  return snap.host.net?.routes.find((r) => r.family === 6 && r.dst === '::/0' && r.table === 254);
}

/** How a network reaches outside (observe/outside.ts: parses the nat table once per snapshot). */
export function outsideOf(n: NetworkFacts, snap: HostSnapshot): Outside {
  return classifyOutside(n, snap);
}

export function sameCidr(a: string, b: string): boolean {
  const x = parseCidr6(a); const y = parseCidr6(b);
  return !!x && !!y && x.start === y.start && x.length === y.length;
}

/**
 * Docker's nftables backend refuses to start while IPv4 forwarding is off, and while IPv6 forwarding (all or
 * default) is off with IPv6 on the default bridge (measured on 29.7.2; "ip-forward": false skips the check).
 * Works with Docker down: daemon.json says whether the bridge will have IPv6.
 */
export function nftForwardingMissing(i: DoctorInput): Array<{ key: string; value?: string; v6: boolean }> {
  if (i.snap.firewall.docker?.backend !== 'nftables' || config(i.snap)['ip-forward'] === false) return [];
  const s = i.snap.host.sysctls;
  const off = (k: string) => s[k] !== undefined && s[k] !== '1';
  const out: Array<{ key: string; value?: string; v6: boolean }> = [];
  if (off('net.ipv4.ip_forward')) out.push({ key: 'net.ipv4.ip_forward', value: s['net.ipv4.ip_forward'], v6: false });
  const bridgeV6 = config(i.snap).ipv6 === true || i.snap.networks.some((n) => n.name === 'bridge' && n.enableIPv6);
  if (bridgeV6) {
    for (const k of ['net.ipv6.conf.all.forwarding', 'net.ipv6.conf.default.forwarding']) if (off(k)) out.push({ key: k, value: s[k], v6: true });
  }
  return out;
}

/**
 * The enable command that repairs daemon.json here, as it would run: bare enable keeps the saved prefix or a hand-set
 * ULA fixed-cidr-v6 (or replaces it, saying why); a hand-set global one it leaves to the operator, so --prefix auto.
 */
export function enableFix(i: DoctorInput): string {
  const hand = config(i.snap)['fixed-cidr-v6'];
  const c = typeof hand === 'string' ? parseCidr6(hand) : undefined;
  if (!i.snap.state?.prefix && c && classifyV6(c) !== 'ula') return `docker ipv6 enable --prefix auto (replaces your global "fixed-cidr-v6": "${String(hand)}" by a generated ULA with NAT; or --prefix P with the prefix routed to this host)`;
  return 'docker ipv6 enable';
}
