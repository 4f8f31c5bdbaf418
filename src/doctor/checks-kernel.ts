// Kernel and host checks: IPv6 on, ip6tables usable and on Docker's backend, forwarding, accept_ra, host address and route (pure).
import { ifSysctl } from '../model/sysctl';
import { defaultRoute6, finding, hostGlobalV6, ipv6Wanted, ok, skip } from './derive';
import type { Check, Finding } from './types';

const L = 'kernel' as const;

export const ipv6Disabled: Check = ({ snap }) => {
  const s = snap.host.sysctls;
  const keys = ['net.ipv6.conf.all.disable_ipv6', ...(snap.host.uplink ? [`net.ipv6.conf.${snap.host.uplink}.disable_ipv6`] : [])];
  if (s['net.ipv6.conf.all.disable_ipv6'] === undefined) {
    return [finding('kernel.ipv6-disabled', L, 'fail', 'the kernel has no IPv6 (/proc/sys/net/ipv6 is missing: ipv6.disable=1 on the kernel command line?)', 'remove ipv6.disable=1 from the kernel command line (GRUB_CMDLINE_LINUX) and reboot')];
  }
  const off = keys.filter((k) => s[k] === '1');
  if (off.length === 0) return [ok('kernel.ipv6-disabled', L, 'IPv6 is enabled in the kernel')];
  return off.map((k) => finding('kernel.ipv6-disabled', L, 'fail', `IPv6 is disabled (${k} = 1): no interface gets an IPv6 address`,
    `sysctl -w ${k}=0`, { kind: 'sysctl', key: k, value: '0' }, k));
};

/** ip6tables-save without root exits 4 (nf_tables: "Permission denied (you must be root)") or 1 (legacy): not a kernel problem. */
const NEEDS_ROOT_RE = /permission denied|you must be root|\bEPERM\b|\bEACCES\b|operation not permitted/i;

export function firewallNeedsRoot(error: string | undefined, uid: number | undefined): boolean {
  return !!error && (NEEDS_ROOT_RE.test(error) || (uid !== undefined && uid !== 0));
}

export const ip6tablesUsable: Check = ({ snap, extra }) => {
  const fw = snap.firewall;
  // Docker's nftables backend: our rules live in nftables, read with nft
  if (fw.kind === 'nftables') {
    if (!fw.available) return [finding('kernel.nftables', L, 'fail', `nft is missing (${fw.error ?? 'not found'}): docker-ipv6 cannot read or write its table beside Docker's nftables rules`, 'apt-get install nftables')];
    if (firewallNeedsRoot(fw.error, extra.uid)) return [skip('kernel.nftables', L, 'needs root (run with sudo): reading nftables is refused to this user')];
    if (fw.error) return [finding('kernel.nftables', L, 'fail', `nft cannot read the ruleset: ${fw.error}`, 'modprobe nf_tables; then check: nft list tables')];
    return [ok('kernel.nftables', L, `nft ${fw.version ?? ''} reads the nftables ruleset`.replace('  ', ' '))];
  }
  if (!fw.available) return [finding('kernel.ip6tables', L, 'fail', `ip6tables is missing (${fw.error ?? 'not found'}): Docker cannot program IPv6 NAT or filtering`, 'apt-get install iptables')];
  if (firewallNeedsRoot(fw.error, extra.uid)) return [skip('kernel.ip6tables', L, 'needs root (run with sudo): reading the IPv6 firewall (ip6tables-save) is refused to this user')];
  if (fw.error) return [finding('kernel.ip6tables', L, 'fail', `ip6tables cannot read the kernel's IPv6 tables: ${fw.error}`, 'modprobe ip6_tables ip6table_nat ip6table_filter (or nf_tables); then check: ip6tables-save')];
  return [ok('kernel.ip6tables', L, `ip6tables ${fw.version ?? ''} (${fw.backend ?? 'unknown'} backend) reads the IPv6 tables`.replace('  ', ' '))];
};

export const iptablesBackend: Check = ({ snap, extra }) => {
  const other = extra.otherBackend;
  if (snap.firewall.kind === 'nftables') return [skip('kernel.iptables-backend', L, 'Docker uses its nftables backend: iptables rules beside it are firewall.backend-mix\'s business')];
  if (!snap.firewall.available) return [skip('kernel.iptables-backend', L, 'ip6tables is missing')];
  if (snap.firewall.error) return [skip('kernel.iptables-backend', L, `the IPv6 firewall could not be read${firewallNeedsRoot(snap.firewall.error, extra.uid) ? ': needs root (run with sudo)' : ''}`)];
  if (!other || other.dockerChains.length === 0) return [ok('kernel.iptables-backend', L, `Docker's rules and ours are both in the ${snap.firewall.backend ?? 'same'} backend`)];
  const ours = snap.firewall.backend ?? 'unknown';
  const oursHasDocker = Object.values(snap.firewall.tables).some((t) => Object.keys(t.chains).some((c) => c.startsWith('DOCKER')));
  const tool = other.backend === 'legacy' ? 'ip6tables-legacy' : 'ip6tables-nft';
  // Docker's chains in our backend too: the running Docker uses ours, the other copies are stale, and
  // switching the alternatives to their backend would hide the live rules instead
  const flush = `delete the stale chains in the ${other.backend} backend (${tool}-save shows them): ${tool} -t TABLE -F CHAIN && ${tool} -t TABLE -X CHAIN for each`;
  return [finding('kernel.iptables-backend', L, oursHasDocker ? 'warn' : 'fail',
    `Docker's IPv6 chains (${other.dockerChains.slice(0, 3).join(', ')}) are in the ${other.backend} backend but ip6tables here uses ${ours}: rules in one are invisible to the other`,
    oursHasDocker ? flush : `update-alternatives --set ip6tables /usr/sbin/${tool} && update-alternatives --set iptables /usr/sbin/${tool.replace('ip6tables', 'iptables')} (or, if those chains are stale, ${flush})`)];
};

export const forwarding: Check = (i) => {
  if (!ipv6Wanted(i)) return [skip('kernel.forwarding', L, 'IPv6 is not enabled for Docker')];
  const bad = ['net.ipv6.conf.all.forwarding', 'net.ipv6.conf.default.forwarding'].filter((k) => i.snap.host.sysctls[k] !== undefined && i.snap.host.sysctls[k] !== '1');
  if (bad.length === 0) return [ok('kernel.forwarding', L, 'IPv6 forwarding is on')];
  return bad.map((k) => finding('kernel.forwarding', L, k.includes('.all.') ? 'fail' : 'warn',
    `${k} = ${i.snap.host.sysctls[k]}: the host does not route container IPv6 traffic`, `sysctl -w ${k}=1`, { kind: 'sysctl', key: k, value: '1' }, k));
};

export const acceptRa: Check = ({ snap }) => {
  const up = snap.host.uplink;
  if (!up) return [skip('kernel.accept-ra', L, 'no uplink found')];
  const key = ifSysctl(up, 'accept_ra');
  const ra = snap.host.sysctls[key];
  const route = defaultRoute6(snap);
  const learned = route?.protocol === 'RA';
  if (ra === '2' || ra === '0' || !learned) {
    return [ok('kernel.accept-ra', L, learned ? `${up} keeps accepting router advertisements with forwarding on (accept_ra=${ra})` : `the IPv6 default route is not learnt from router advertisements (${route ? `protocol ${route.protocol.toLowerCase()}` : 'none'})`)];
  }
  const fwd = snap.host.sysctls['net.ipv6.conf.all.forwarding'] === '1';
  return [finding('kernel.accept-ra', L, fwd ? 'fail' : 'warn',
    `${up} learns its IPv6 default route from router advertisements with accept_ra=${ra}: with forwarding on the kernel ignores them and the route expires`,
    `sysctl -w ${key}=2`, { kind: 'sysctl', key, value: '2' }, key)];
};

export const hostIpv6: Check = ({ snap }) => {
  if (snap.host.error && !snap.host.net) return [finding('kernel.host-ipv6', L, 'fail', snap.host.error, 'run doctor as root on the Docker host')];
  const out: Finding[] = [];
  const addrs = hostGlobalV6(snap);
  const route = defaultRoute6(snap);
  if (addrs.length === 0) {
    out.push(finding('kernel.host-ipv6', L, 'fail', `the host has no global IPv6 address${snap.host.uplink ? ` on ${snap.host.uplink}` : ''}: containers cannot have what the host lacks`,
      `configure IPv6 on the uplink (e.g. ip -6 addr add 2001:db8::2/64 dev ${snap.host.uplink ?? 'eth0'}, or enable SLAAC/DHCPv6 in the network configuration)`));
  }
  if (!route) {
    out.push(finding('kernel.host-default-route', L, 'fail', 'the host has no IPv6 default route: container traffic has nowhere to go',
      `ip -6 route add default via <your IPv6 router> dev ${snap.host.uplink ?? 'eth0'} (and make it persistent in the network configuration)`));
  }
  if (out.length) return out;
  return [ok('kernel.host-ipv6', L, `the host has ${addrs.map((a) => `${a.address}/${a.prefixlen}`).slice(0, 2).join(', ')} and an IPv6 default route via ${route!.gateway ?? route!.ifname}`)];
};

export const KERNEL_CHECKS: Check[] = [ipv6Disabled, ip6tablesUsable, iptablesBackend, forwarding, acceptRa, hostIpv6];
