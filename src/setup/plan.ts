// planEnable: from one snapshot and the user's options to the full list of changes (pure, printable).
import { setKeys } from '../daemon/edit';
import { type DaemonJsonUndo } from '../model/state';
import { findFlagConflicts, configKeysAsDockerdSees } from '../daemon/keys';
import { ConfigError, PreconditionError, UsageError } from '../errors';
import type { HostSnapshot } from '../observe/snapshot';
import type { Mode } from '../model/state';
import { addressAt, formatCidr, contains, parseCidr6, type Cidr6 } from '../model/ip';
import { planDaemonKeys } from '../daemon/plan-keys';
import { bridgeSubnet } from '../model/pools';
import { renderFilterBatch, renderNatBatch } from '../firewall/batches';
import { dockerView, vetBridges, type DockerFacts } from '../model/docker';
import { shellQuote } from '../util/shell-quote';
import { planId } from '../model/plan-id';
import { networkFates } from '../model/network-fate';
import { judgeOutside } from '../model/npt';
import { ourRulesPlace } from '../model/firewall-backend';
import { firewallBatch } from '../reconcile/firewall-table';
import { containerProxies, desiredForwardRules } from '../reconcile/desired';
import { outsideFacts, prefixFacts, uplinkAddress } from '../observe/prefix-facts';
import { chooseMode } from '../model/mode';
import { checkPrefix, judgeHandMade, pickUla } from './prefix';
import { persistedSysctls, planSysctls, renderSysctlConf, type SysctlChange } from '../model/sysctl-plan';
import type { DockerDown } from './down';
import { chooseNatSource } from './nat-source';
import { NAT_CHAIN } from '../model/names';
import { planMtu, uplinkMtu, type MtuPlan } from '../model/mtu';
import { planServices, servicesChange, type ServiceFacts, type ServicePlan } from './services';

export interface EnableOptions {
  /** 'auto', a prefix, or undefined when not given (auto, but a hand-made fixed-cidr-v6 is not replaced silently) */
  prefix?: string;
  mode: 'auto' | Mode;
  /** random draws for ULA generation (5+ bytes each); injected so planning stays pure */
  randomDraws: Uint8Array[];
  sysctlConfPath: string;
  /** Docker is down (local, no dockerd process): plan for the version its binary reports; see down.ts */
  dockerDown?: DockerDown;
  /** npt: the routed global prefix the inside one is translated to */
  outsidePrefix?: string;
  /** --nat-source: a host address, 'none', or undefined (keep the saved one) */
  natSource?: string;
  /** systemd and our units (observeServices): where systemd runs, the agent and boot unit are put in place */
  services?: ServiceFacts;
}

export interface EnablePlan {
  prefix: string;
  /** kept: the hand-set ULA fixed-cidr-v6 stays the bridge's subnet; replaced: it is replaced by a generated ULA (prefixNote says why) */
  prefixSource: 'generated' | 'saved' | 'given' | 'kept' | 'replaced';
  prefixNote?: string;
  /** npt: the outside prefix (the inside one is `prefix`) */
  outsidePrefix?: string;
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
  /** the mode follows Docker's events (our filter, our NAT or SNAT, NDP entries): the agent must run */
  agentNeeded: boolean;
  /** where systemd runs: the units enable puts in place, enables and starts */
  services: ServicePlan;
  /** containers running now: the restart stops those without a restart policy; enable starts them again */
  runningContainers: string[];
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

function choosePrefix(snap: HostSnapshot, o: EnableOptions): { prefix: Cidr6; source: EnablePlan['prefixSource']; note?: string } {
  const saved = snap.state?.prefix ? parseCidr6(snap.state.prefix) : undefined;
  const handMade = snap.daemonConfig.value?.['fixed-cidr-v6'];
  if (o.prefix === undefined && !saved && typeof handMade === 'string') {
    const j = judgeHandMade(handMade, prefixFacts(snap));
    if ('keep' in j) return { prefix: j.keep, source: 'kept', note: `kept your "fixed-cidr-v6": "${handMade}" for the default bridge: ${j.why}` };
    if ('replace' in j) {
      const ula = pickUla(o.randomDraws, prefixFacts(snap));
      return { prefix: ula, source: 'replaced', note: `replaced your "fixed-cidr-v6": "${handMade}" by ${formatCidr(bridgeSubnet(ula))} from a generated ULA: ${j.why}` };
    }
    // a global prefix set by hand is a routing decision: replacing it renumbers every container on the default bridge
    throw new UsageError(
      `${snap.daemonConfig.path} already gives the default bridge the global "fixed-cidr-v6": "${handMade}" (not set by docker ipv6); enable would replace it`,
      'pass --prefix P with the prefix routed to this host that contains it to keep it, or --prefix auto to replace it with a generated ULA',
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

/** The view with the default bridge on docker0 (no container yet): what the filter lists once dockerd restarted. */
function withDefaultBridge(view: DockerFacts): DockerFacts {
  const others = view.networks.filter((n) => n.name !== 'bridge');
  return { ...view, containers: [], networks: [...others, { id: 'bridge', name: 'bridge', bridge: 'docker0', subnets6: [] }] };
}

/** npt: the outside prefix, checked against the inside one and the host (a usage error names what is wrong). */
function outsideFor(o: EnableOptions, inside: Cidr6, snap: HostSnapshot): Cidr6 {
  if (!o.outsidePrefix) throw new UsageError('--mode npt needs --outside-prefix: the routed global prefix the inside one is translated to', 'e.g. docker ipv6 enable --mode npt --prefix auto --outside-prefix 2001:db8:800::/48');
  const j = judgeOutside(o.outsidePrefix, inside, outsideFacts(prefixFacts(snap)));
  if ('why' in j) throw new UsageError(`--outside-prefix ${o.outsidePrefix} ${j.why}`, j.hint);
  return j.cidr;
}

export function planEnable(snap: HostSnapshot, o: EnableOptions): EnablePlan {
  preconditions(snap, o.dockerDown);
  const uplink = snap.host.uplink!;
  const { prefix, source, note: prefixNote } = choosePrefix(snap, o);
  const facts = prefixFacts(snap, prefix);
  const mode = chooseMode(o.mode, prefix, facts.uplinkPrefixes);
  // down: the keys are for the version the binary starts as (20.10 and 26 need "experimental" for ip6tables)
  const version = o.dockerDown?.version ?? snap.daemon.version!;
  const current = snap.daemonConfig.value ?? {};
  const mtu = planMtu(uplink, uplinkMtu(snap.host.net?.links ?? [], uplink, snap.host.sysctls), current);
  const keys = planDaemonKeys(current, version, prefix, mode, { mtu: mtu && mtu.after < mtu.before ? mtu.after : undefined });
  const notes = [...(prefixNote ? [prefixNote] : []), ...keys.notes];
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
  const outside = mode === 'npt' ? outsideFor(o, prefix, snap) : undefined;
  // npt: the translation is ours (D6-NAT and D6-DNAT), like our masquerade when Docker programs no NAT
  const natByUs = (mode === 'nat' && after.iptables === false) || mode === 'npt';
  if (natByUs && mode === 'nat') notes.push('"iptables": false in daemon.json: Docker programs no NAT, so docker-ipv6 installs its own IPv6 masquerade');
  if (outside) notes.push(`NPTv6: ${formatCidr(prefix)} (inside, what containers keep) <-> ${formatCidr(outside)} (outside), 1:1 and both ways by the uplink ${uplink}; a new outside prefix later changes only that: docker ipv6 renumber --outside-prefix P`);
  const filterByUs = mode !== 'nat';

  // the filter's view: every bridge network, vetted against the host's links (a host bridge is left out)
  const links = snap.host.net ?? { links: [], addresses: [] };
  const view = vetBridges(dockerView(snap.networks, snap.containers), links, uplink);
  let upstreamRoute: string | undefined;
  if (outside) {
    upstreamRoute = `${formatCidr(outside)} via ${uplinkAddress(snap, outside) ?? `<the address of ${uplink}>`}`;
    notes.push(`the upstream router needs the route: ${upstreamRoute}`);
  }
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
    for (const p of containerProxies({ prefix: formatCidr(prefix), uplink }, view, view.containers)) ndpProxies.push({ address: p.address, ifname: uplink });
  }
  const legacyNetworks = snap.networks
    .filter((n) => n.driver === 'bridge' && n.name !== 'bridge' && !n.enableIPv6)
    .map((n) => ({
      name: n.name, containers: n.containers,
      command: `docker network rm ${shellQuote(n.name)} && docker ipv6 network create ${n.ipv4Subnets[0] ? `--subnet ${n.ipv4Subnets[0]} ` : ''}${shellQuote(n.name)}`,
    }));
  const ours = [
    { subnet: bridge, bridge: 'docker0' },
    // through dockerView: a network whose bridge name cannot be written safely is left out
    ...dockerView(snap.networks, []).networks.filter((n) => n.name !== 'bridge' && !n.internal).flatMap((n) => n.subnets6.filter((x) => contains(prefix, parseCidr6(x.subnet)!)).map(({ subnet }) => ({ subnet, bridge: n.bridge, snat: n.dockerSnat6 }))),
  ];
  notes.push(...networkFates(view, snap.networks, prefix, mode).map((f) => f.text));
  // the same choice as reconcile's desiredNatRules: a network Docker SNATs to the chosen source itself needs no rule of ours
  const natSources = ours.filter((o) => natByUs || !natSource || !('snat' in o) || o.snat !== natSource).map(({ subnet, bridge: br }) => ({ subnet, bridge: br, ...(natSource ? { to: natSource } : {}) }));
  // after the restart the default bridge is docker0 (it may not be listed here) and the containers are not
  // yet running: shown (-v) only where that differs from the batch of the first step
  const filterNow = filterByUs ? desiredForwardRules({ uplink, mode }, view, links.links) : undefined;
  const filterAfter = filterByUs ? desiredForwardRules({ uplink, mode }, withDefaultBridge(view), links.links) : undefined;
  const firewallAfterRestart = {
    nat: outside ? firewallBatch('nat', { prefix: formatCidr(prefix), uplink, mode, outsidePrefix: formatCidr(outside), natByUs }, view, snap.firewall.tables, links.links)
      : natByUs || natSource ? renderNatBatch(natSources, snap.firewall.tables) : undefined,
    filter: filterAfter && filterAfter.join('\n') !== filterNow!.join('\n') ? renderFilterBatch(filterAfter, snap.firewall.tables) : undefined,
  };
  const bridgeMtu = mtu && mtu.after < 1500 ? mtu.after : undefined;
  const stateSame = snap.state?.enabled && snap.state.prefix === formatCidr(prefix) && snap.state.mode === mode && snap.state.uplink === uplink
    && snap.state.natSource === natSource && snap.state.enabled.mtu === bridgeMtu;
  const natChain = NAT_CHAIN in (snap.firewall.tables.nat?.chains ?? {});
  const restart = edit.changed || !runningMatches;
  // a chosen source: new networks need our SNAT rule, and our jump must come back above the NAT rule Docker puts first
  const agentNeeded = mode !== 'nat' || natByUs || !!natSource;
  const services = planServices(o.services, agentNeeded);
  const noop = !restart && sysctls.length === 0 && !!stateSame && !servicesChange(services);
  return {
    prefix: formatCidr(prefix), prefixSource: source, ...(prefixNote ? { prefixNote } : {}), mode, uplink, bridgeSubnet: bridge, ...(outside ? { outsidePrefix: formatCidr(outside) } : {}),
    daemonJson: { path: snap.daemonConfig.path, before, after: edit.text, set: keys.set, undo: edit.undo, changed: edit.changed },
    sysctls, sysctlConf: { path: o.sysctlConfPath, text: renderSysctlConf(confValues) },
    natByUs, filterByUs, restart, upstreamRoute, ndpProxies, legacyNetworks, notes, noop, firewallAfterRestart, dockerDown: o.dockerDown,
    firewall: snap.firewall.kind ?? 'ip6tables', agentNeeded, services,
    runningContainers: restart ? snap.containers.filter((c) => c.state === 'running').map((c) => c.name) : [],
    filterBatch: filterByUs ? firewallBatch('filter', { prefix: formatCidr(prefix), uplink, mode }, view, snap.firewall.tables, links.links) : undefined,
    ...(natSource ? { natSource } : {}), ...(mtu ? { mtu } : {}),
    natStep: natByUs || !!natSource || natChain,
  };
}

/** The id of what an enable plan would change: `enable --dry-run` shows it, `enable --plan ID` runs only that plan. */
export function enablePlanId(p: EnablePlan): string {
  return planId({
    prefix: p.prefix, mode: p.mode, uplink: p.uplink, restart: p.restart, ...(p.outsidePrefix ? { outsidePrefix: p.outsidePrefix } : {}),
    daemonJson: { before: p.daemonJson.before, after: p.daemonJson.after },
    sysctls: p.sysctls.map(({ key, to }) => ({ key, to })), filterBatch: p.filterBatch ?? null,
    natByUs: p.natByUs, filterByUs: p.filterByUs, ndpProxies: p.ndpProxies, ...(p.natSource ? { natSource: p.natSource } : {}),
    ...(servicesChange(p.services) ? { services: { write: p.services.write.map((w) => w.path), enable: p.services.enable, start: p.services.start } } : {}),
    // a plan made while Docker was down is not the one to run once it answers (and the other way round)
    ...(p.dockerDown ? { dockerDown: p.dockerDown.version } : {}),
  });
}
