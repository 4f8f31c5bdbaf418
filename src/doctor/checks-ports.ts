// Service and firewall checks: IPv4-only published ports, userland-proxy hiding client addresses, FORWARD DROP, docker-ipv6nat leftovers (pure).
import { FORWARD_CHAIN } from '../model/names';
import { dockerMasquerades, ruleTokens } from '../model/ip6tables-save';
import { bridgeNetworks, config, finding, ip6tablesOn, ipv6Wanted, needing, ok, skip, unavailable } from './derive';
import type { Check, Finding } from './types';

export const ipv4OnlyPorts: Check = ({ snap }) => {
  const out: Finding[] = [];
  for (const c of snap.containers) {
    if (c.state !== 'running') continue;
    const pub = c.ports.filter((p) => p.publicPort);
    const v6 = new Set(pub.filter((p) => p.ip?.includes(':')).map((p) => `${p.publicPort}/${p.type}`));
    const only4 = pub.filter((p) => p.ip === '0.0.0.0' && !v6.has(`${p.publicPort}/${p.type}`));
    for (const p of only4) {
      out.push(finding('ports.ipv4-only', 'ports', 'warn', `container "${c.name}" publishes ${p.publicPort}/${p.type} on 0.0.0.0 only: IPv6 clients cannot reach it`,
        `publish it on both families: -p ${p.publicPort}:${p.privatePort}${p.type === 'tcp' ? '' : `/${p.type}`} (or add -p [::]:${p.publicPort}:${p.privatePort}); in Compose drop the "0.0.0.0:" prefix; then recreate ${c.name}`, undefined, c.name));
    }
  }
  return out.length ? out : [ok('ports.ipv4-only', 'ports', 'no port is published on IPv4 only')];
};

/** With the proxy in the path (IPv6 to a port whose container has no IPv6, or Docker not NATing IPv6), containers see the proxy, not the client. */
export const userlandProxy: Check = (i) => {
  const { snap } = i;
  if (!ipv6Wanted(i)) return [skip('ports.userland-proxy', 'ports', 'IPv6 is not enabled for Docker')];
  if (config(snap)['userland-proxy'] === false) return [ok('ports.userland-proxy', 'ports', '"userland-proxy": false: published ports keep the client\'s address')];
  const why = unavailable(i, { docker: true });
  if (why) return [skip('ports.userland-proxy', 'ports', `client addresses on published ports: not checked, ${why}`)];
  const v6nets = new Set(bridgeNetworks(snap).filter((n) => n.enableIPv6).map((n) => n.name));
  const hidden: string[] = [];
  for (const c of snap.containers) {
    if (c.state !== 'running' || !c.ports.some((p) => p.publicPort && (p.ip === '::' || p.ip === undefined))) continue;
    const hasV6 = c.networks.some((n) => v6nets.has(n.network) && n.ipv6);
    if (!hasV6 || !ip6tablesOn(i)) hidden.push(c.name);
  }
  if (hidden.length === 0) return [ok('ports.userland-proxy', 'ports', 'IPv6 clients reach published ports through Docker\'s NAT with their own source address')];
  // routed and ndp: no NAT by design; a container's own global address is the path that keeps the client's
  const mode = snap.state?.enabled ? snap.state.mode : undefined;
  if (mode === 'routed' || mode === 'ndp') {
    return [ok('ports.userland-proxy', 'ports', `${mode} mode: containers have their own global addresses, and clients that connect to them (our filter lets published ports in) keep their source address; through the host's address docker-proxy serves IPv6 (${hidden.slice(0, 3).map((n) => `"${n}"`).join(', ')}), and the container sees the proxy`)];
  }
  return [finding('ports.userland-proxy', 'ports', 'warn',
    `IPv6 connections to the published ports of ${hidden.slice(0, 3).map((n) => `"${n}"`).join(', ')}${hidden.length > 3 ? ', ...' : ''} go through docker-proxy: the containers see the proxy's IPv4 address, not the client's`,
    ip6tablesOn(i) ? `put the containers on an IPv6 network (docker network connect <ipv6-network> NAME), or set "userland-proxy": false in ${snap.daemonConfig.path} and ${i.restartCommand}` : 'docker ipv6 enable (turns on Docker\'s IPv6 NAT, so ports are DNATed with the client\'s address)')];
};

export const forwardDrop: Check = (i) => {
  const { snap } = i;
  // Docker's nftables backend: our table's FORWARD is ours alone; a DROP in ip6tables' FORWARD is firewall.backend-mix's
  if (snap.firewall.kind === 'nftables') return [skip('firewall.forward-drop', 'firewall', 'Docker uses nftables: FORWARD policies in iptables and ip6tables are checked by firewall.backend-mix')];
  const filter = snap.firewall.tables.filter;
  if (!filter) return [skip('firewall.forward-drop', 'firewall', 'the IPv6 filter table was not read')];
  const policy = filter.chains.FORWARD;
  if (policy !== 'DROP' && policy !== 'REJECT') return [ok('firewall.forward-drop', 'firewall', `ip6tables FORWARD policy is ${policy ?? 'ACCEPT'}`)];
  const why = unavailable(i, { docker: true });
  if (why) return [skip('firewall.forward-drop', 'firewall', `ip6tables FORWARD policy is ${policy}; whether rules accept each IPv6 bridge: not checked, ${why}`)];
  const bridges = bridgeNetworks(snap).filter((n) => n.enableIPv6 && n.bridge).map((n) => n.bridge!);
  if (bridges.length === 0) return [ok('firewall.forward-drop', 'firewall', 'FORWARD policy is DROP and no bridge has IPv6')];
  // tokenise only FORWARD's own rules, once: with 100 networks the table holds ~1000 rules
  const forward = filter.rules.filter((r) => r.startsWith('-A FORWARD ')).map(ruleTokens);
  const accepting = (br: string) => forward.some((t) => {
    const target = t[t.indexOf('-j') + 1];
    const mentions = (flag: string) => { const k = t.indexOf(flag); return k > 0 && t[k + 1] === br && t[k - 1] !== '!'; };
    // Docker's own jumps (DOCKER-FORWARD on 28, DOCKER / DOCKER-ISOLATION on 20-26) and ours accept the bridge's traffic
    if (target === FORWARD_CHAIN || target === 'DOCKER-FORWARD') return true;
    return (mentions('-o') || mentions('-i')) && (target === 'ACCEPT' || target === 'DOCKER');
  });
  const bad = bridges.filter((b) => !accepting(b));
  if (bad.length === 0) return [ok('firewall.forward-drop', 'firewall', 'FORWARD policy is DROP and rules accept each IPv6 bridge')];
  return [finding('firewall.forward-drop', 'firewall', 'fail',
    `ip6tables FORWARD policy is ${policy} and nothing accepts ${bad.join(', ')}: forwarded IPv6 to and from containers is dropped`,
    ip6tablesOn(i) ? `${i.restartCommand} (Docker re-adds its FORWARD rules), or: ip6tables -P FORWARD ACCEPT` : 'docker ipv6 enable (its D6-FORWARD chain accepts container traffic), or: ip6tables -P FORWARD ACCEPT',
    ip6tablesOn(i) ? { kind: 'restart' } : { kind: 'enable' })];
};

/** docker-ipv6nat (robbertkl) writes Docker-named chains in ip6tables; with Docker's own ip6tables on both fight over them. */
export const ipv6natLeftovers: Check = (i) => {
  const { snap } = i;
  const ipv6natContainer = snap.containers.find((c) => /ipv6nat/i.test(c.name));
  const dockerChains = Object.values(snap.firewall.tables).flatMap((t) => Object.keys(t.chains)).filter((c) => c.startsWith('DOCKER'));
  const masq = dockerMasquerades(snap.firewall.tables);
  const dup = masq.filter((m, k) => masq.findIndex((x) => x.source === m.source && x.bridge === m.bridge) !== k);
  const findings: Finding[] = [];
  if (ip6tablesOn(i) && (ipv6natContainer || dup.length)) {
    // a restart does not remove a second copy (seen on Docker 28: it only adds rules it finds missing): delete the copies
    const deletes = dup.map((m) => duplicateRule(snap.firewall.tables.nat?.rules ?? [], m)).filter((r): r is string => !!r)
      .map((r) => `ip6tables -t nat ${r.replace(/^-A /, '-D ')}`);
    const fix = ipv6natContainer ? `docker rm -f ${ipv6natContainer.name} && ${[...deletes, i.restartCommand].join(' && ')} (Docker rebuilds its chains)`
      : deletes.length ? deletes.join(' && ') : i.restartCommand;
    findings.push(finding('firewall.ipv6nat', 'firewall', 'fail',
      `${ipv6natContainer ? `container "${ipv6natContainer.name}" (docker-ipv6nat) runs` : `masquerade rules for ${dup[0].source} appear twice`} while Docker's own ip6tables is on: both write the DOCKER chains and their rules collide`,
      fix));
  } else if (!ip6tablesOn(i) && snap.daemon.reachable && !ipv6natContainer && masq.length) {
    // Docker does not remove its masquerades when its ip6tables support goes off: they NAT traffic nobody set up.
    // Its DOCKER* chains are its own (it uses them again once ip6tables is on): only these rules are named, and
    // they live in the built-in POSTROUTING chain, so deleting them edits no chain of Docker's
    const lines = (snap.firewall.tables.nat?.rules ?? []).filter((r) => dockerMasquerades({ nat: { chains: {}, rules: [r] } }).length === 1);
    findings.push(finding('firewall.ipv6nat', 'firewall', 'warn',
      `Docker's IPv6 masquerade for ${masq.map((m) => m.source).join(', ')} is left in ip6tables although Docker's ip6tables support is off (from docker-ipv6nat or an earlier "ip6tables": true): Docker no longer manages it, and it still rewrites that traffic`,
      lines.map((r) => `ip6tables -t nat ${r.replace(/^-A /, '-D ')}`).join(' && ')));
  } else if (!ip6tablesOn(i) && snap.daemon.reachable && dockerChains.length && !ipv6natContainer) {
    findings.push(ok('firewall.ipv6nat', 'firewall', `Docker's own chains (${[...new Set(dockerChains)].slice(0, 3).join(', ')}) are in ip6tables while its ip6tables support is off: they act on no traffic, and Docker uses them again when it is on`));
  }
  return findings.length ? findings : [ok('firewall.ipv6nat', 'firewall', 'no docker-ipv6nat rules compete with Docker\'s own')];
};

/** The last nat rule line that is a Docker-style masquerade of m.source (the copy to delete). */
function duplicateRule(rules: readonly string[], m: { source: string; bridge?: string }): string | undefined {
  return rules.filter((r) => { const d = dockerMasquerades({ nat: { chains: {}, rules: [r] } })[0]; return d && d.source === m.source && d.bridge === m.bridge; }).at(-1);
}

export const PORT_CHECKS: Check[] = [
  needing({ docker: true }, 'ports.ipv4-only', 'ports', 'ports published on IPv4 only', ipv4OnlyPorts),
  userlandProxy,
  forwardDrop,
  needing({ docker: true, firewall: true }, 'firewall.ipv6nat', 'firewall', 'docker-ipv6nat rules competing with Docker\'s own', ipv6natLeftovers),
];
