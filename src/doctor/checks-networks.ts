// Network, container and outside-path checks: IPv6 on networks in use, addresses, NAT, routes and NDP entries, filtering (pure).
import { BOOT_UNIT, FORWARD_CHAIN, OUR_UNITS, USER_CHAIN, ifNameProblem } from '../model/names';
import { bridgeEndsInDrop, catchAllCovers, chainEndsClosed, FORWARD_JUMP } from '../firewall/batches';
import { dockerView, vetBridges, type NetworkFacts } from '../model/docker';
import { networkFates } from '../model/network-fate';
import { addressAt, classifyV6, containsAddress, parseCidr6 } from '../model/ip';
import { bridgeNetworks, finding, ip6tablesOn, needing, ok, outsideOf, skip, unavailable } from './derive';
import type { Check, DoctorInput, Finding } from './types';
import { shellQuote } from '../util/shell-quote';

const COMPOSE_NET = 'com.docker.compose.network';
const COMPOSE_PROJECT = 'com.docker.compose.project';

const userBridges = (i: DoctorInput) => bridgeNetworks(i.snap).filter((n) => n.name !== 'bridge');
const v6Nets = (i: DoctorInput) => bridgeNetworks(i.snap).filter((n) => n.enableIPv6 && n.ipv6Subnets.length > 0);

// names in printed commands are shell-quoted: a network name may hold spaces, quotes or an escape sequence
function recreate(n: NetworkFacts): string {
  const q = shellQuote(n.name);
  const members = `docker network inspect ${q} -f '{{range .Containers}}{{.Name}} {{end}}'`;
  return `recreate it with IPv6: ${members} (note them), docker network disconnect each, docker network rm ${q} && docker network create --ipv6${n.ipv4Subnets[0] ? ` --subnet ${n.ipv4Subnets[0]}` : ''} ${q}, then docker network connect ${q} each container`;
}

export const networksIpv6: Check = (i) => {
  const bad = userBridges(i).filter((n) => !n.enableIPv6 && n.containers > 0 && !n.labels[COMPOSE_NET]);
  if (bad.length === 0) return [ok('networks.ipv6-off', 'networks', 'every user network with containers has IPv6')];
  return bad.map((n) => finding('networks.ipv6-off', 'networks', 'fail', `network "${n.name}" has ${n.containers} container(s) but EnableIPv6 is off: they get no IPv6 address`, recreate(n), undefined, n.name));
};

export const composeNetworks: Check = (i) => {
  const bad = userBridges(i).filter((n) => !n.enableIPv6 && n.labels[COMPOSE_NET]);
  if (bad.length === 0) return [ok('networks.compose-ipv6', 'networks', 'no Compose network lacks enable_ipv6')];
  return bad.map((n) => {
    const project = n.labels[COMPOSE_PROJECT] ?? '<project>';
    return finding('networks.compose-ipv6', 'networks', 'fail',
      `Compose network "${n.labels[COMPOSE_NET]}" of project "${project}" was created without enable_ipv6`,
      `add "enable_ipv6: true" under networks.${n.labels[COMPOSE_NET]} in the Compose file (docker ipv6 lint --fix FILE does it), then: docker compose -p ${project} down && docker compose -p ${project} up -d`, undefined, n.name);
  });
};

export const containerAddresses: Check = (i) => {
  const v6 = new Map(v6Nets(i).map((n) => [n.name, n]));
  const out: Finding[] = [];
  for (const c of i.snap.containers) {
    if (c.state !== 'running') continue;
    for (const n of c.networks) {
      const net = v6.get(n.network);
      if (!net) continue;
      const global = n.ipv6 && (() => { const k = classifyV6(parseCidr6(n.ipv6)!); return k !== 'link-local'; })();
      if (!global) {
        // Docker 26+ also leaves the address out when the container disables IPv6 itself (seen on 28 with
        // --sysctl net.ipv6.conf.all.disable_ipv6=1); a restart keeps that, only recreating it helps
        out.push(finding('containers.no-ipv6', 'containers', 'fail', `container "${c.name}" runs on IPv6 network "${n.network}" without a global IPv6 address (started before the network had IPv6, or IPv6 disabled inside it by a sysctl?)`,
          `docker restart ${c.name}; if docker inspect ${c.name} -f '{{.HostConfig.Sysctls}}' shows net.ipv6.conf.*.disable_ipv6=1, recreate it without that sysctl`, undefined, c.name));
      }
    }
  }
  if (out.length) return out;
  const n = i.snap.containers.filter((c) => c.state === 'running' && c.networks.some((x) => v6.has(x.network))).length;
  return [ok('containers.no-ipv6', 'containers', `${n} running container(s) on IPv6 networks, each with a global IPv6 address`)];
};

export const ulaMasquerade: Check = (i) => {
  const out: Finding[] = [];
  for (const n of v6Nets(i)) {
    if (n.internal) continue;
    const c = parseCidr6(n.ipv6Subnets[0]);
    if (!c || classifyV6(c) !== 'ula') continue;
    if (outsideOf(n, i.snap) === 'none') {
      out.push(finding('outside.ula-nat', 'outside', 'fail', `network "${n.name}" uses ULA ${n.ipv6Subnets[0]} and nothing masquerades it (Docker's ip6tables ${ip6tablesOn(i) ? 'is on but installed no rule' : 'is off'}): its traffic leaves with an unroutable source`,
        ip6tablesOn(i) ? `${i.restartCommand} (Docker re-creates its masquerade rules)` : 'docker ipv6 enable', ip6tablesOn(i) ? { kind: 'restart' } : { kind: 'enable' }, n.name));
    }
  }
  return out.length ? out : [ok('outside.ula-nat', 'outside', 'every ULA network is masqueraded')];
};

/** Global networks: routed needs the upstream's route (probe), ndp needs proxy entries for the gateway and each container. */
export const globalPath: Check = (i) => {
  const { snap } = i;
  const out: Finding[] = [];
  const prefix = snap.state?.prefix ? parseCidr6(snap.state.prefix) : undefined;
  const uplink = snap.state?.uplink ?? snap.host.uplink;
  const proxies = new Set((snap.host.net?.proxies ?? []).filter((p) => p.ifname === uplink).map((p) => p.address));
  for (const n of v6Nets(i)) {
    const kind = outsideOf(n, snap);
    if (kind === 'unknown') {
      out.push(finding('outside.global-path', 'outside', 'warn', `network "${n.name}" has the global prefix ${n.ipv6Subnets[0]} but no docker-ipv6 mode: nothing says how the outside reaches it`,
        // enable refuses a --prefix that overlaps an existing network, so the network goes first and comes back from enable's pools
        `docker network rm ${shellQuote(n.name)} (disconnect its containers first), docker ipv6 enable --prefix <the prefix your router routes to this host> --mode routed (or ndp), then docker network create --ipv6 ${shellQuote(n.name)}; or run doctor --probe to test the path as it is`, undefined, n.name));
    }
    if (kind !== 'ndp' || !prefix || !uplink) continue;
    const sub = parseCidr6(n.ipv6Subnets[0])!;
    const want = [n.gateways.find((g) => g.includes(':'))?.split('/')[0] ?? addressAt(sub, 1n)];
    for (const c of snap.containers) {
      if (c.state !== 'running') continue;
      for (const cn of c.networks) if (cn.network === n.name && cn.ipv6 && containsAddress(sub, cn.ipv6)) want.push(cn.ipv6);
    }
    const missing = want.filter((a) => !proxies.has(a));
    if (missing.length) {
      out.push(finding('outside.ndp-proxy', 'outside', 'fail', `network "${n.name}" (NDP mode) lacks proxy entries on ${uplink} for ${missing.join(', ')}: the upstream router cannot reach them`,
        missing.map((a) => `ip -6 neigh add proxy ${a} dev ${uplink}`).join(' && '), { kind: 'enable-steps', ids: ['ndp-proxies'] }, n.name));
    }
    if (snap.host.sysctls[`net.ipv6.conf.${uplink}.proxy_ndp`] === '0') {
      const key = `net.ipv6.conf.${uplink}.proxy_ndp`;
      out.push(finding('outside.ndp-proxy', 'outside', 'fail', `${key} = 0: the kernel ignores the NDP proxy entries`, `sysctl -w ${key}=1`, { kind: 'sysctl', key, value: '1' }, key));
    }
  }
  if (snap.state?.mode === 'routed' && i.probes === undefined) {
    out.push(skip('outside.routed', 'outside', `routed mode: the upstream router must route ${snap.state.prefix} to this host; run doctor --probe to test it`));
  }
  return out.length ? out : [ok('outside.global-path', 'outside', 'every global network has the outside path its mode needs')];
};

/**
 * Docker's IPv6 filter off ("ip6tables": false): only our D6-FORWARD stands between the world and every
 * container. Each IPv6 bridge network, inside the prefix or not, must end in a DROP of ours (its own, or the
 * catch-all for docker0 / br-*), reached through our jump. Networks left out of the filter are the
 * firewall.bridge-names and firewall.host-bridge findings.
 */
export const unfiltered: Check = (i) => {
  const { snap } = i;
  if (ip6tablesOn(i)) return [ok('firewall.unfiltered', 'firewall', 'Docker filters forwarding to containers itself ("ip6tables" is on)')];
  const why = unavailable(i, { docker: true, firewall: true });
  if (why) return [skip('firewall.unfiltered', 'firewall', `forwarding to IPv6 networks: not checked, ${why}`)];
  const view = vettedView(i);
  const listed = new Set(view.networks.map((n) => n.name));
  const nets = v6Nets(i).filter((n) => listed.has(n.name));
  if (nets.length === 0) return [ok('firewall.unfiltered', 'firewall', 'no IPv6 network is forwarded unfiltered')];
  const tables = snap.firewall.tables;
  const jump = !!tables.filter?.rules.includes(FORWARD_JUMP);
  const closed = (n: NetworkFacts) => jump && !!n.bridge && (bridgeEndsInDrop(tables, n.bridge) || (catchAllCovers(n.bridge) && chainEndsClosed(tables)));
  const bad = nets.filter((n) => !closed(n));
  if (bad.length === 0) return [ok('firewall.unfiltered', 'firewall', `chain ${FORWARD_CHAIN} closes every IPv6 network: only replies, the ICMPv6 transit set and ports published on all addresses reach containers`)];
  return bad.map((n) => finding('firewall.unfiltered', 'firewall', 'fail', `network "${n.name}" (${n.ipv6Subnets.join(', ')}) is forwarded with Docker's IPv6 filter off ("ip6tables": false) and no drop of ours: every container port on it is open to whoever routes ${n.ipv6Subnets[0]} here`,
    snap.state?.enabled ? 'docker ipv6 apply (puts the D6-FORWARD filter back for every network)' : 'docker ipv6 enable (installs the D6-FORWARD filter chain)', snap.state?.enabled ? { kind: 'enable-steps', ids: ['firewall-filter'] } : { kind: 'enable' }, n.name));
};

/** The networks as the filter sees them: vetted against the host's links (doctor's view of reconcile's). */
function vettedView(i: DoctorInput) {
  return vetBridges(dockerView(i.snap.networks, i.snap.containers), i.snap.host.net ?? { links: [], addresses: [] }, i.snap.state?.uplink ?? i.snap.host.uplink);
}

/**
 * routed/ndp: what becomes of the networks the prefix does not hold (info), and of a network whose bridge is
 * not Docker's alone (warn: no rule of ours names it, its forwarding is the admin's), as enable's plan said.
 */
export const networkFate: Check = (i) => {
  const st = i.snap.state;
  const prefix = st?.enabled && st.prefix ? parseCidr6(st.prefix) : undefined;
  if (!prefix || !st?.mode) return [];
  const why = unavailable(i, { docker: true });
  if (why) return [skip('networks.fate', 'networks', `networks outside ${st.prefix}: not checked, ${why}`)];
  const fates = networkFates(vettedView(i), i.snap.networks, prefix, st.mode).filter((f) => f.kind !== 'name');
  if (!fates.length) return [ok('networks.fate', 'networks', `every IPv6 network is inside ${st.prefix} and in the filter`)];
  return fates.map((f) => f.kind === 'host'
    ? finding('firewall.host-bridge', 'firewall', 'warn', f.text, `recreate it with a bridge Docker makes: docker network rm ${shellQuote(f.network)} && docker ipv6 network create ${shellQuote(f.network)} (without com.docker.network.bridge.name)`, undefined, f.network)
    : ok('networks.outside-prefix', 'networks', f.text, f.network));
};

/** Bridge names ip6tables would misread ('+', '!', quotes...): such a network is left out of every rule we write. */
export const bridgeNames: Check = (i) => {
  const bad = bridgeNetworks(i.snap).map((n) => ({ n, problem: n.bridge ? ifNameProblem(n.bridge) : undefined })).filter((x) => x.problem);
  if (bad.length === 0) return [ok('firewall.bridge-names', 'firewall', 'every bridge name can be written into a rule')];
  return bad.map(({ n, problem }) => finding('firewall.bridge-names', 'firewall', 'warn',
    `network "${n.name}" has the bridge name ${JSON.stringify(n.bridge)}: ${problem}; docker-ipv6 leaves it out of every rule and NDP entry (its IPv6 subnets are closed by address: its containers are unreachable from outside)`,
    `recreate it with a plain bridge name (letters, digits, "-", "_", "."): docker network rm ${shellQuote(n.name)} && docker ipv6 network create ${shellQuote(n.name)}`, undefined, n.name));
};

/** Rules above our jump in FORWARD are evaluated before D6-FORWARD: an ACCEPT there opens what our chain would drop. */
export const rulesBeforeJump: Check = (i) => {
  if (!i.snap.state?.enabled?.filterByUs) return [];
  const forward = (i.snap.firewall.tables.filter?.rules ?? []).filter((r) => r.startsWith('-A FORWARD '));
  const at = forward.indexOf(FORWARD_JUMP);
  if (at <= 0) return [ok('firewall.rules-before-jump', 'firewall', `nothing in FORWARD comes before the jump to ${FORWARD_CHAIN}`)];
  return [finding('firewall.rules-before-jump', 'firewall', 'warn',
    `${at} rule(s) in FORWARD come before the jump to ${FORWARD_CHAIN} and decide first (${forward.slice(0, at).join('; ')}): an ACCEPT there opens container ports that ${FORWARD_CHAIN} would drop`,
    `move them into ${USER_CHAIN} (e.g. ip6tables -A ${USER_CHAIN} ...), which ${FORWARD_CHAIN} evaluates before its own rules and docker-ipv6 never edits; docker-ipv6 does not reorder rules that are not its own`)];
};

/** routed/ndp: only the boot unit closes the prefix after a reboot before dockerd starts (and turns forwarding on itself). */
export const bootUnit: Check = (i) => {
  if (!i.snap.state?.enabled?.filterByUs || !i.snap.endpoint.local || i.extra.bootUnitEnabled === undefined) return [];
  if (i.extra.bootUnitEnabled) return [ok('firewall.boot-unit', 'firewall', 'docker-ipv6-boot.service installs the closed filter at boot, before Docker starts')];
  // Docker's nftables backend never turns forwarding on (it refuses to start without it); the iptables one does
  const nft = i.snap.firewall.docker?.backend === 'nftables';
  const opens = nft ? 'and Docker\'s nftables backend needs IPv6 forwarding on to start, so whatever turns it on at boot opens' : 'and dockerd turns IPv6 forwarding on itself, which opens';
  // the units are in a unit folder (the .deb's, or docker ipv6 install's): enable them; else install them first
  const installed = i.extra.services?.units.find((u) => u.name === BOOT_UNIT)?.path;
  const fix = installed ? `systemctl enable ${OUR_UNITS.join(' ')}` : 'docker ipv6 install --enable';
  return [finding('firewall.boot-unit', 'firewall', 'warn',
    `docker-ipv6-boot.service is not enabled: after a reboot nothing puts ${FORWARD_CHAIN} in place before Docker starts, ${opens} every container port in ${i.snap.state.prefix} until docker ipv6 apply runs`,
    fix)];
};

/**
 * routed/ndp: our sysctl.d file must not turn forwarding on at boot (versions before the boot unit wrote it):
 * systemd-sysctl runs before any filter of ours is in place.
 */
export const sysctlConfForwarding: Check = (i) => {
  const text = i.extra.sysctlConfText;
  if (!i.snap.state?.enabled?.filterByUs || text === undefined) return [];
  const lines = text.split('\n').filter((l) => /^\s*net[./]ipv6[./]conf[./](all|default)[./]forwarding\s*=\s*1\s*$/.test(l));
  if (!lines.length) return [ok('firewall.sysctl-conf', 'firewall', 'the sysctl.d file leaves forwarding to the boot unit, after the filter')];
  return [finding('firewall.sysctl-conf', 'firewall', 'warn',
    `the sysctl.d file (written by an older docker-ipv6) turns forwarding on at boot before any filter of ours is in place: ${lines.map((l) => l.trim()).join('; ')}`,
    'docker ipv6 doctor --fix (rewrites the file as enable does now: accept_ra and proxy_ndp only; the boot unit raises forwarding after the filter)', { kind: 'enable-steps', ids: ['write-sysctl-conf'] })];
};

export const NETWORK_CHECKS: Check[] = [
  needing({ docker: true }, 'networks.ipv6-off', 'networks', 'IPv6 on user networks with containers', networksIpv6),
  needing({ docker: true }, 'networks.compose-ipv6', 'networks', 'enable_ipv6 on Compose networks', composeNetworks),
  needing({ docker: true }, 'containers.no-ipv6', 'containers', 'IPv6 addresses of running containers', containerAddresses),
  needing({ docker: true, firewall: true }, 'outside.ula-nat', 'outside', 'NAT66 for ULA networks', ulaMasquerade),
  needing({ docker: true, firewall: true }, 'outside.global-path', 'outside', 'the outside path of global networks', globalPath),
  unfiltered,
  networkFate,
  needing({ docker: true }, 'firewall.bridge-names', 'firewall', 'bridge names usable in rules', bridgeNames),
  needing({ firewall: true }, 'firewall.rules-before-jump', 'firewall', 'rules evaluated before ours', rulesBeforeJump),
  bootUnit,
  sysctlConfForwarding,
];
