// planEnable: from one snapshot and the user's options to the full list of changes (pure, printable).
import { setKeys } from '../daemon/edit';
import { type DaemonJsonUndo } from '../model/state';
import { findFlagConflicts, configKeysAsDockerdSees } from '../daemon/keys';
import { ConfigError, PreconditionError, UsageError } from '../errors';
import type { HostSnapshot } from '../observe/snapshot';
import type { Mode } from '../model/state';
import { addressAt, formatCidr, contains, parseCidr6, type Cidr6 } from '../model/ip';
import { planDaemonKeys } from './daemon-plan';
import { bridgeSubnet } from '../model/pools';
import { renderForwardBatch, renderNatBatch } from '../firewall/batches';
import { dockerView } from '../model/docker';
import { planId } from '../model/plan-id';
import { ourRulesPlace } from '../model/firewall-backend';
import { firewallBatch } from '../reconcile/firewall-table';
import { containerProxies } from '../reconcile/desired';
import { prefixFacts, uplinkAddress } from '../observe/prefix-facts';
import { chooseMode } from './mode';
import { checkPrefix, pickUla } from './prefix';
import { persistedSysctls, planSysctls, renderSysctlConf, type SysctlChange } from '../model/sysctl-plan';
import type { DockerDown } from './down';
import { chooseNatSource } from './nat-source';
import { NAT_CHAIN } from '../model/names';
import { planMtu, uplinkMtu, type MtuPlan } from '../model/mtu';

export interface EnableOptions {
  /** 'auto', a prefix, or undefined when not given (auto, but a hand-made fixed-cidr-v6 is not replaced silently) */
  prefix?: string;
  mode: 'auto' | Mode;
  /** random draws for ULA generation (5+ bytes each); injected so planning stays pure */
  randomDraws: Uint8Array[];
  sysctlConfPath: string;
  /** Docker is down (local, no dockerd process): plan for the version its binary reports; see down.ts */
  dockerDown?: DockerDown;
  /** --nat-source: a host address, 'none', or undefined (keep the saved one) */
  natSource?: string;
}

export interface EnablePlan {
  prefix: string;
  prefixSource: 'generated' | 'saved' | 'given';
  mode: Mode;
  uplink: string;
  bridgeSubnet: string;
  daemonJson: { path: string; before: string; after: string; set: Record<string, unknown>; undo: DaemonJsonUndo; changed: boolean };
  sysctls: SysctlChange[];
  sysctlConf: { path: string; text: string };
  /** nat mode: Docker masquerades; true when it will not (iptables off) and we must */
  natByUs: boolean;
  /** routed and ndp: we filter forwarding to the prefix */
  filterByUs: boolean;
  /** dockerd must restart: its file changed or it still runs other settings */
  restart: boolean;
  upstreamRoute?: string;
  ndpProxies: Array<{ address: string; ifname: string }>;
  legacyNetworks: Array<{ name: string; containers: number; command: string }>;
  notes: string[];
  /** nothing to change at all */
  noop: boolean;
  /** the ip6tables batches as they would be applied for the networks known now (the default bridge with its new subnet) */
  /**
   * The filter batch the first step runs before forwarding and the restart (routed, ndp), byte for byte:
   * if Docker or the ruleset changed since this plan, that step refuses instead of applying other rules.
   */
  filterBatch?: string;
  /** Our chains are rendered again after the restart, from the networks and containers Docker then has: this is the prediction. */
  firewallAfterRestart: { nat?: string; filter?: string };
  /** Docker was down when planned: the restart starts it, and its networks are checked against the prefix after */
  dockerDown?: DockerDown;
  /** where our rules go: ip6tables chains, or table ip6 docker-ipv6 when Docker uses its nftables backend */
  firewall: 'ip6tables' | 'nftables';
  /** nat mode: the host address container egress leaves with (our SNAT rule in D6-NAT; Docker's host_ipv6 option on networks `network create` makes) */
  natSource?: string;
  /** the uplink's MTU against the default bridge's (lowered to it when the uplink carries less) */
  mtu?: MtuPlan;
  /** our nat chain is rewritten (or removed, when no longer wanted) after the restart */
  natStep: boolean;
}

/** How the plan names the place of our rules ("ip6tables filter", "nftables table ip6 docker-ipv6 (filter)"). */
export function firewallWhere(plan: Pick<EnablePlan, 'firewall'>, table: 'nat' | 'filter'): string {
  return ourRulesPlace(plan.firewall, table);
}

function preconditions(snap: HostSnapshot, down?: DockerDown): void {
  // a file that does not parse is the reason a down Docker stays down: say that, not "start it"
  if (down && snap.daemonConfig.error) {
    throw new ConfigError(`Docker is down, and dockerd cannot start with ${snap.daemonConfig.path}: ${snap.daemonConfig.error}`,
      `fix ${snap.daemonConfig.path} by hand at the place named (docker ipv6 edits only a file that parses; nothing was changed), then run docker ipv6 enable again: it starts Docker`);
  }
  if (!snap.daemon.reachable && !down) throw new PreconditionError(snap.daemon.error ?? 'Docker is not reachable', snap.daemon.hint);
  if (snap.daemonConfig.error) throw new ConfigError(snap.daemonConfig.error, `fix ${snap.daemonConfig.path} by hand first; nothing was changed`);
  // our rules go where Docker's are: nft when its backend is nftables (Docker 29+), else ip6tables
  const nft = snap.firewall.kind === 'nftables';
  const why = nft ? ` (Docker uses its nftables firewall backend${snap.firewall.docker ? `, from ${snap.firewall.docker.source}` : ''})` : '';
  if (!snap.firewall.available) throw new PreconditionError(`${nft ? 'nft' : 'ip6tables'} is missing${why}: ${snap.firewall.error ?? ''}`.trim().replace(/:$/, ''), nft ? 'install it: apt-get install nftables' : 'install it: apt-get install iptables');
  if (snap.firewall.error) throw new PreconditionError(snap.firewall.error, nft ? 'load the nf_tables kernel module' : 'load the ip6_tables / nf_tables kernel modules');
  if (snap.host.error) throw new UsageError(snap.host.error, 'list interfaces with: ip -br link; pass the right one with --uplink');
  if (!snap.host.uplink) throw new UsageError(`no uplink: ${snap.host.uplinkReason}`, 'name the interface that leads outside with --uplink IFACE');
}

function choosePrefix(snap: HostSnapshot, o: EnableOptions): { prefix: Cidr6; source: EnablePlan['prefixSource'] } {
  const saved = snap.state?.prefix ? parseCidr6(snap.state.prefix) : undefined;
  const handMade = snap.daemonConfig.value?.['fixed-cidr-v6'];
  if (o.prefix === undefined && !saved && typeof handMade === 'string') {
    // IPv6 set up by hand: replacing it renumbers every container on the default bridge
    throw new UsageError(
      `${snap.daemonConfig.path} already gives the default bridge "fixed-cidr-v6": "${handMade}" (not set by docker ipv6); enable would replace it`,
      'pass --prefix auto to replace it with a generated ULA, or --prefix P with a prefix P that contains it to keep it',
    );
  }
  if (o.prefix === undefined || o.prefix === 'auto') {
    if (saved) return { prefix: saved, source: 'saved' };
    return { prefix: pickUla(o.randomDraws, prefixFacts(snap)), source: 'generated' };
  }
  const given = parseCidr6(o.prefix);
  const own = saved && given && saved.start === given.start && saved.length === given.length ? saved : undefined;
  return { prefix: checkPrefix(o.prefix, prefixFacts(snap, own)), source: own ? 'saved' : 'given' };
}

export function planEnable(snap: HostSnapshot, o: EnableOptions): EnablePlan {
  preconditions(snap, o.dockerDown);
  const uplink = snap.host.uplink!;
  const { prefix, source } = choosePrefix(snap, o);
  const facts = prefixFacts(snap, prefix);
  const mode = chooseMode(o.mode, prefix, facts.uplinkPrefixes);
  // down: the keys are for the version the binary starts as (20.10 and 26 need "experimental" for ip6tables)
  const version = o.dockerDown?.version ?? snap.daemon.version!;
  const current = snap.daemonConfig.value ?? {};
  const mtu = planMtu(uplink, uplinkMtu(snap.host.net?.links ?? [], uplink, snap.host.sysctls), current);
  const keys = planDaemonKeys(current, version, prefix, mode, { mtu: mtu && mtu.after < mtu.before ? mtu.after : undefined });
  const notes = [...keys.notes];
  const natSource = chooseNatSource(snap, o.natSource, mode, prefix, notes);
  if (mtu && mtu.after < mtu.before) {
    notes.push(`the uplink ${uplink} carries ${mtu.uplinkMtu} bytes, less than the ${mtu.before} Docker gives containers: the default bridge ("mtu": ${mtu.after}) and the networks docker ipv6 network create makes get ${mtu.after}; containers running now keep ${mtu.before} until they restart`);
  }

  // dockerd refuses to start when a key is both a flag and in the file
  const after = { ...current, ...keys.set };
  if (snap.dockerd) {
    const conflicts = findFlagConflicts(configKeysAsDockerdSees(after), snap.dockerd.argv, snap.daemonConfig.path);
    if (conflicts.length) {
      throw new ConfigError(
        `dockerd (pid ${snap.dockerd.pid}) already gets ${conflicts.map((c) => c.flag).join(', ')} as flags; writing the same keys to daemon.json would stop it from starting`,
        conflicts[0].fix,
      );
    }
  }
  const before = snap.daemonConfig.text ?? '';
  const edit = setKeys(before, keys.set, snap.daemonConfig.path);
  const sysctls = planSysctls(snap.host.sysctls, uplink, mode);
  const confValues = persistedSysctls(snap.host.sysctls, uplink, mode);
  const bridge = formatCidr(bridgeSubnet(prefix));
  const bridgeNet = snap.networks.find((n) => n.name === 'bridge');
  const runningMatches = !!bridgeNet?.enableIPv6 && bridgeNet.ipv6Subnets.some((s) => { const c = parseCidr6(s); return !!c && `${c.network}/${c.length}` === bridge; });
  const natByUs = mode === 'nat' && after.iptables === false;
  if (natByUs) notes.push('"iptables": false in daemon.json: Docker programs no NAT, so docker-ipv6 installs its own IPv6 masquerade');
  const filterByUs = mode !== 'nat';

  let upstreamRoute: string | undefined;
  if (mode === 'routed') {
    const via = uplinkAddress(snap, prefix);
    upstreamRoute = `${formatCidr(prefix)} via ${via ?? `<the address of ${uplink}>`}`;
    notes.push(`the upstream router needs the route: ${upstreamRoute}`);
  }
  const ndpProxies: EnablePlan['ndpProxies'] = [];
  if (mode === 'ndp') {
    const gw = bridgeSubnet(prefix);
    ndpProxies.push({ address: addressAt(gw, 1n), ifname: uplink });
    // only containers on bridge networks inside the prefix (never a macvlan/ipvlan one: it answers for itself)
    const view = dockerView(snap.networks, snap.containers);
    for (const p of containerProxies({ prefix: formatCidr(prefix), uplink }, view, view.containers)) ndpProxies.push({ address: p.address, ifname: uplink });
  }
  const legacyNetworks = snap.networks
    .filter((n) => n.driver === 'bridge' && n.name !== 'bridge' && !n.enableIPv6)
    .map((n) => ({
      name: n.name, containers: n.containers,
      command: `docker network rm ${n.name} && docker ipv6 network create ${n.ipv4Subnets[0] ? `--subnet ${n.ipv4Subnets[0]} ` : ''}${n.name}`,
    }));
  const ours = [
    { subnet: bridge, bridge: 'docker0' },
    // through dockerView: a network whose bridge name cannot be written safely is left out (closed by the prefix-wide rules)
    ...dockerView(snap.networks, []).networks.filter((n) => n.name !== 'bridge').flatMap((n) => n.subnets6.filter((x) => contains(prefix, parseCidr6(x.subnet)!)).map(({ subnet }) => ({ subnet, bridge: n.bridge, snat: n.dockerSnat6 }))),
  ];
  for (const n of dockerView(snap.networks, []).skipped ?? []) {
    notes.push(`network ${n.name} is left out of every rule: its bridge name ${JSON.stringify(n.bridge)} is unusable (${n.problem}); the prefix-wide drop keeps its containers closed`);
  }
  // the same choice as reconcile's desiredNatRules: a network Docker SNATs to the chosen source itself needs no rule of ours
  const natSources = ours.filter((o) => natByUs || !natSource || !('snat' in o) || o.snat !== natSource).map(({ subnet, bridge: br }) => ({ subnet, bridge: br, ...(natSource ? { to: natSource } : {}) }));
  const firewallAfterRestart = {
    nat: natByUs || natSource ? renderNatBatch(natSources, snap.firewall.tables) : undefined,
    filter: filterByUs ? renderForwardBatch(formatCidr(prefix), ours.map(({ subnet, bridge: br }) => ({ subnet, bridge: br, published: [] })), snap.firewall.tables) : undefined,
  };
  const bridgeMtu = mtu && mtu.after < 1500 ? mtu.after : undefined;
  const stateSame = snap.state?.enabled && snap.state.prefix === formatCidr(prefix) && snap.state.mode === mode && snap.state.uplink === uplink
    && snap.state.natSource === natSource && snap.state.enabled.mtu === bridgeMtu;
  const natChain = NAT_CHAIN in (snap.firewall.tables.nat?.chains ?? {});
  const restart = edit.changed || !runningMatches;
  const noop = !restart && sysctls.length === 0 && !!stateSame;
  return {
    prefix: formatCidr(prefix), prefixSource: source, mode, uplink, bridgeSubnet: bridge,
    daemonJson: { path: snap.daemonConfig.path, before, after: edit.text, set: keys.set, undo: edit.undo, changed: edit.changed },
    sysctls, sysctlConf: { path: o.sysctlConfPath, text: renderSysctlConf(confValues) },
    natByUs, filterByUs, restart, upstreamRoute, ndpProxies, legacyNetworks, notes, noop, firewallAfterRestart, dockerDown: o.dockerDown,
    firewall: snap.firewall.kind ?? 'ip6tables',
    filterBatch: filterByUs ? firewallBatch('filter', { prefix: formatCidr(prefix) }, dockerView(snap.networks, snap.containers), snap.firewall.tables) : undefined,
    ...(natSource ? { natSource } : {}), ...(mtu ? { mtu } : {}),
    natStep: natByUs || !!natSource || natChain,
  };
}

/** The id of what an enable plan would change: `enable --dry-run` shows it, `enable --plan ID` runs only that plan. */
export function enablePlanId(p: EnablePlan): string {
  return planId({
    prefix: p.prefix, mode: p.mode, uplink: p.uplink, restart: p.restart,
    daemonJson: { before: p.daemonJson.before, after: p.daemonJson.after },
    sysctls: p.sysctls.map(({ key, to }) => ({ key, to })), filterBatch: p.filterBatch ?? null,
    natByUs: p.natByUs, filterByUs: p.filterByUs, ndpProxies: p.ndpProxies, ...(p.natSource ? { natSource: p.natSource } : {}),
    // a plan made while Docker was down is not the one to run once it answers (and the other way round)
    ...(p.dockerDown ? { dockerDown: p.dockerDown.version } : {}),
  });
}
