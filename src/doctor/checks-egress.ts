// Egress checks: the chosen NAT66 source (still the host's, and the NAT rule that decides first for each network)
// and MTUs above the uplink's, for networks and the container interfaces on them (pure).
import { natSourceChoices } from '../setup/nat-source';
import { parseRuleLine } from '../model/fw-rule';
import { HOST_IPV6_OPTION, MTU_OPTION, type NetworkFacts } from '../model/docker';
import { dockerMasqOf, dockerNatRule } from '../model/ip6tables-save';
import { canonical6, cidrKey, contains, isIPv6Address, parseCidr6 } from '../model/ip';
import { networkMtu, uplinkMtu } from '../model/mtu';
import { COMMENT_TAG, NAT_CHAIN } from '../model/names';
import { dockerVersionAtLeast, HOST_IPV6_SINCE } from '../daemon/version';
import type { HostSnapshot } from '../observe/snapshot';
import { bridgeNetworks, config, dockerVersion, finding, hostGlobalV6, needing, ok, skip, unavailable } from './derive';
import type { Check, Finding } from './types';

/** single-quoted for a shell when it holds anything but the characters of names, addresses and numbers */
const shq = (s: string) => (/^[A-Za-z0-9_.:/=@,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The command that re-creates a network with the same subnets and options (one option changed or added), through
 * docker ipv6 network create. Its containers must leave it first: Docker refuses to remove a network in use.
 */
export function recreateCommand(n: NetworkFacts, set: Record<string, string>): string {
  const opts = { ...n.options, ...set };
  const args = [
    ...n.ipv4Subnets.map((s) => `--subnet ${s}`), ...n.ipv6Subnets.map((s) => `--subnet ${s}`),
    ...(n.internal ? ['--internal'] : []), ...(n.enableIPv4 === false ? ['--ipv6-only'] : []),
    ...Object.entries(opts).map(([k, v]) => `--opt ${shq(`${k}=${v}`)}`),
  ];
  const first = n.containers ? ` (disconnect its ${n.containers} container(s) first: docker network disconnect ${n.name} NAME)` : '';
  return `docker network rm ${n.name} && docker ipv6 network create ${args.join(' ')} ${n.name}${first}`;
}

/**
 * The source the first NAT rule that matches gives a subnet's egress: an address (SNAT), 'masquerade' (the
 * kernel's choice), or undefined (nothing NATs it). ip6tables runs POSTROUTING in order, our D6-NAT where its jump
 * stands; with the nftables backend our table's postrouting chain runs first (priority srcnat - 1).
 */
export function natDecider(snap: Pick<HostSnapshot, 'firewall'>, subnet: string): string | undefined {
  const key = cidrKey(subnet);
  const rules = snap.firewall.tables.nat?.rules ?? [];
  const ours = (): string | undefined => {
    for (const line of rules) {
      const r = parseRuleLine(line);
      if (r?.chain === NAT_CHAIN && r.src && cidrKey(r.src) === key) return r.target === 'SNAT' ? r.toSource : 'masquerade';
    }
    return undefined;
  };
  const jump = `-A POSTROUTING -m comment --comment ${COMMENT_TAG} -j ${NAT_CHAIN}`;
  if (snap.firewall.kind === 'nftables') {
    const d = dockerMasqOf(snap.firewall).find((m) => cidrKey(m.source) === key);
    return (rules.includes(jump) ? ours() : undefined) ?? (d ? d.to ?? 'masquerade' : undefined);
  }
  for (const line of rules.filter((l) => l.startsWith('-A POSTROUTING '))) {
    if (line === jump) { const o = ours(); if (o) return o; continue; }
    const d = dockerNatRule(line);
    if (d && cidrKey(d.source) === key) return d.to ?? 'masquerade';
  }
  return undefined;
}

const describeSource = (s: string | undefined) => (s === 'masquerade' ? 'the kernel\'s choice (a masquerade decides first)' : s ?? 'its own ULA address (nothing NATs it)');

/** In nat mode with a chosen source: still the host's, and what decides each network's source. */
const natSource: Check = (i) => {
  const st = i.snap.state;
  const want = st?.enabled && st.mode === 'nat' ? st.natSource : undefined;
  if (!want) return [];
  const id = 'outside.nat-source';
  const cannot = unavailable(i, { docker: true, firewall: true });
  if (cannot) return [skip(id, 'outside', `the chosen NAT66 source ${want}: not checked, ${cannot}`)];
  const prefix = st!.prefix ? parseCidr6(st!.prefix) : undefined;
  if (!hostGlobalV6(i.snap).some((a) => isIPv6Address(a.address) && canonical6(a.address) === want)) {
    const choice = natSourceChoices(i.snap, prefix)[0]?.address ?? 'none';
    return [finding(id, 'outside', 'fail', `the chosen NAT66 source ${want} is no longer an address of this host: container egress still leaves with it, and the replies cannot come back`,
      `docker ipv6 enable --nat-source ${choice} (or put ${want} back on ${i.snap.host.uplink ?? 'its interface'}, e.g. ip -6 addr add ${want}/64 dev ${i.snap.host.uplink ?? 'IFACE'})`)];
  }
  const out: Finding[] = [];
  const fine: string[] = [];
  for (const n of bridgeNetworks(i.snap).filter((x) => x.enableIPv6 && !x.internal)) {
    for (const s of n.ipv6Subnets.filter((x) => prefix && parseCidr6(x) && contains(prefix, parseCidr6(x)!))) {
      const got = natDecider(i.snap, s);
      if (got === want) { fine.push(n.name); continue; }
      out.push(finding(id, 'outside', 'warn', `network "${n.name}" (${s}) leaves with ${describeSource(got)}, not the chosen ${want} (Docker puts its own NAT rule first in POSTROUTING when dockerd starts or creates a network; the agent moves ours back)`,
        'docker ipv6 apply', { kind: 'enable-steps', ids: ['firewall-nat'] }, n.name));
    }
  }
  return out.length ? out : [ok(id, 'outside', `container egress leaves with ${want} (${fine.length} network(s): ${fine.join(', ')})`)];
};

/** Docker's own host_ipv6 option (ours or the admin's) naming an address the host no longer has: that egress is lost. */
const hostIpv6Gone: Check = (i) => {
  const v = dockerVersion(i);
  if (!v || !dockerVersionAtLeast(v, HOST_IPV6_SINCE)) return [];
  const have = new Set(hostGlobalV6(i.snap).filter((a) => isIPv6Address(a.address)).map((a) => canonical6(a.address)));
  const gone = (n: NetworkFacts) => {
    const a = n.options[HOST_IPV6_OPTION];
    // only where Docker's rule still decides: a network our own SNAT covers leaves with the chosen source
    return !!a && isIPv6Address(a) && !have.has(canonical6(a)) && n.ipv6Subnets.some((s) => natDecider(i.snap, s) === canonical6(a));
  };
  return bridgeNetworks(i.snap).filter(gone).map((n) => {
    const choice = natSourceChoices(i.snap)[0]?.address;
    const rest = Object.fromEntries(Object.entries(n.options).filter(([k]) => k !== HOST_IPV6_OPTION));
    return finding('outside.nat-source', 'outside', 'fail', `network "${n.name}" has Docker SNAT its IPv6 egress to ${n.options[HOST_IPV6_OPTION]} (com.docker.network.host_ipv6), which is no longer an address of this host: the replies cannot come back`,
      recreateCommand({ ...n, options: rest }, choice ? { [HOST_IPV6_OPTION]: choice } : {}), undefined, n.name);
  });
};

/** Bridge networks and container interfaces with an MTU above the uplink's: they rely on Packet Too Big coming back. */
const mtuAboveUplink: Check = (i) => {
  const id = 'networks.mtu';
  const up = i.snap.host.uplink;
  const u = uplinkMtu(i.snap.host.net?.links ?? [], up, i.snap.host.sysctls);
  if (!up || u === undefined) return [skip(id, 'networks', 'the uplink or its MTU is unknown')];
  const links = i.snap.host.net?.links ?? [];
  const out: Finding[] = [];
  const why = `big packets from its containers then need an ICMPv6 Packet Too Big from the path; where a firewall drops those, TLS handshakes and uploads hang`;
  for (const n of bridgeNetworks(i.snap)) {
    const m = networkMtu(n, config(i.snap));
    if (m > u) {
      if (n.name === 'bridge') {
        const enabled = !!i.snap.state?.enabled;
        out.push(finding(id, 'networks', 'warn', `the default bridge gives containers MTU ${m}, above the uplink ${up}'s ${u}: ${why}`,
          enabled ? `docker ipv6 enable (sets "mtu": ${u} in ${i.snap.daemonConfig.path} and restarts dockerd)` : `docker ipv6 doctor --fix (sets "mtu": ${u} in ${i.snap.daemonConfig.path} and restarts dockerd)`,
          enabled ? { kind: 'enable' } : { kind: 'daemon-keys', set: { mtu: u } }, n.name));
      } else {
        out.push(finding(id, 'networks', 'warn', `network "${n.name}" gives containers MTU ${m}, above the uplink ${up}'s ${u}: ${why}`, recreateCommand(n, { [MTU_OPTION]: String(u) }), undefined, n.name));
      }
      continue;
    }
    // the network is right, but interfaces made before it was lowered keep their MTU until their container restarts
    const br = links.find((l) => l.name === n.bridge);
    const high = br ? links.filter((l) => l.master === br.index && (l.mtu ?? 0) > u) : [];
    if (high.length) {
      out.push(finding('containers.mtu', 'containers', 'warn', `${high.length} container interface(s) on network "${n.name}" have MTU ${Math.max(...high.map((l) => l.mtu!))}, above the uplink ${up}'s ${u} (their containers started before the MTU was lowered): ${why}`,
        `docker restart $(docker ps -q --filter network=${n.name})`, undefined, n.name));
    }
  }
  return out.length ? out : [ok(id, 'networks', `every bridge network and container interface stays within the uplink ${up}'s MTU ${u}`)];
};

export const EGRESS_CHECKS: Check[] = [natSource, hostIpv6Gone, needing({ docker: true }, 'networks.mtu', 'networks', 'MTUs against the uplink\'s', mtuAboveUplink)];
