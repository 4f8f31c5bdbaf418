// Docker's networks and containers as data: the API shapes we read, the one normalised form, bridge names (pure).
import { canonical6, containsAddress, isIPv6Address, parseAddress, parseCidr, parseCidr6, v6ToBig } from './ip';
import { ifNameProblem } from './names';
import type { AddrInfo, LinkInfo, NetState } from './net';

/** The parts of Docker's list answers (GET /networks, GET /containers/json) we use, kept structural so tests pass plain objects. */
export interface ApiNetwork {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
  EnableIPv6?: boolean;
  /** Docker 28+ (API 1.48); absent before: IPv4 is always on */
  EnableIPv4?: boolean;
  Internal?: boolean;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: Array<{ Subnet?: string; Gateway?: string }> | null } | null;
}
export interface ApiContainer {
  Id: string;
  Names?: string[];
  State?: string;
  /** one entry per host binding; IP is the host address it is bound to ('0.0.0.0' and '::' for a plain -p) */
  Ports?: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string; GlobalIPv6Address?: string; IPv6Gateway?: string }> | null } | null;
}

/** Docker's bridge option (25.0+): the IPv6 source its NAT gives the network's egress (SNAT instead of MASQUERADE). */
export const HOST_IPV6_OPTION = 'com.docker.network.host_ipv6';
/** Docker's network option for the MTU of the network's container interfaces. */
export const MTU_OPTION = 'com.docker.network.driver.mtu';
/** Set by `docker ipv6 network create` beside HOST_IPV6_OPTION: the option is ours (the NAT source of that enable). */
export const NAT_SOURCE_LABEL = 'com.docker-ipv6.nat-source';

/**
 * The IPv6 source Docker itself NATs this network to because `docker ipv6 network create` asked it to: its
 * host_ipv6 option together with our label naming the same address. A host_ipv6 someone else set is not counted
 * (Docker before 25.0 ignores the option, so only the label tells that Docker honours it here).
 */
export function dockerSnatOf(n: Pick<NetworkFacts, 'options' | 'labels'>): string | undefined {
  const opt = n.options[HOST_IPV6_OPTION];
  const label = n.labels[NAT_SOURCE_LABEL];
  if (!opt || !label || !isIPv6Address(opt) || !isIPv6Address(label)) return undefined;
  return canonical6(opt) === canonical6(label) ? canonical6(opt) : undefined;
}

/** The Linux bridge of a bridge network: its bridge.name option, docker0 for the default bridge, else br-<id>. */
export function bridgeName(n: Pick<ApiNetwork, 'Id' | 'Name' | 'Options'>): string {
  return n.Options?.['com.docker.network.bridge.name'] ?? (n.Name === 'bridge' ? 'docker0' : `br-${n.Id.slice(0, 12)}`);
}

export interface NetworkFacts {
  name: string;
  id: string;
  driver: string;
  scope: string;
  enableIPv6: boolean;
  /** false only for a Docker 28+ IPv6-only network (EnableIPv4=false); absent means on */
  enableIPv4?: boolean;
  internal: boolean;
  ipv4Subnets: string[];
  ipv6Subnets: string[];
  gateways: string[];
  /** The Linux bridge for bridge networks (docker0, br-<id>). */
  bridge?: string;
  options: Record<string, string>;
  labels: Record<string, string>;
  containers: number;
}

export interface ContainerFacts {
  id: string;
  name: string;
  state: string;
  networks: Array<{ network: string; ipv4?: string; ipv6?: string; gatewayV6?: string }>;
  ports: Array<{ ip?: string; privatePort: number; publicPort?: number; type: string }>;
}

/**
 * Whether a port binding on this host address publishes the container port to the world over IPv6, so
 * D6-INBOUND may let the world reach it on the container's own address: only a binding on all addresses
 * ('' or '::'). A binding on one host address (`-p '[fd00:aa::5]:8085:80'`, `-p 0.0.0.0:8080:80`, `::1`)
 * opens nothing at the container's address: docker-proxy (or Docker's DNAT) already serves it on that host
 * address and only there, which is what the user asked for. (Docker lists a plain `-p 8080:80` as two
 * bindings, '0.0.0.0' and '::', so that one opens.)
 */
export function opensToWorld(hostIp: string | undefined): boolean {
  const ip = (hostIp ?? '').replace(/^\[|\]$/g, '');
  return ip === '' || (isIPv6Address(ip) && v6ToBig(ip) === 0n);
}

/** Reconcile's view of Docker: bridge networks with their IPv6 subnets, running containers with their IPv6 addresses. */
export interface NetFact {
  id: string; name: string; bridge: string; subnets6: Array<{ subnet: string; gateway?: string }>;
  /** the source Docker's own NAT gives its IPv6 egress (dockerSnatOf), when docker ipv6 asked for one */
  dockerSnat6?: string;
  /** --internal: nothing in from outside the bridge, nothing out (absent: not internal) */
  internal?: boolean;
  /** the network's IPv4 subnets (a bridge holding addresses outside every subnet is not Docker's alone) */
  subnets4?: string[];
}
export interface CtrFact {
  id: string;
  name: string;
  /** network name -> the container's global IPv6 address on it */
  v6: Record<string, string>;
  /** ports published where the world can reach them (see opensToWorld): only these get a filter rule */
  published: Array<{ port: number; proto: 'tcp' | 'udp' | 'sctp' }>;
}
/**
 * A bridge network left out of every rule and entry: its bridge name cannot be written safely, or its bridge
 * is not Docker's alone (the uplink, an interface that is not a bridge, one holding other addresses).
 */
export interface SkippedNet {
  id: string; name: string; bridge: string; problem: string;
  /**
   * name: the bridge name cannot be written into a rule, so the filter closes the network by its IPv6
   * subnets instead; host: the bridge is not Docker's alone, so its forwarding is the admin's (no rule at all)
   */
  kind: 'name' | 'host';
  subnets6: string[];
}
export interface DockerFacts {
  networks: NetFact[];
  containers: CtrFact[];
  /** bridge networks left out of every rule (see SkippedNet) */
  skipped?: SkippedNet[];
}

const PROTOS = new Set(['tcp', 'udp', 'sctp']);

/** One Docker network in the tool's one normalised form; `containers` counts the containers attached to it. */
export function networkFacts(n: ApiNetwork, containers = 0): NetworkFacts {
  const cfg = n.IPAM?.Config ?? [];
  const subnets = cfg.map((c) => c.Subnet).filter((s): s is string => !!s);
  const driver = n.Driver ?? 'bridge';
  return {
    name: n.Name, id: n.Id, driver, scope: n.Scope ?? 'local',
    enableIPv6: !!n.EnableIPv6, ...(n.EnableIPv4 === false ? { enableIPv4: false } : {}), internal: !!n.Internal,
    ipv4Subnets: subnets.filter((s) => !s.includes(':')),
    ipv6Subnets: subnets.filter((s) => s.includes(':')),
    gateways: cfg.map((c) => c.Gateway).filter((g): g is string => !!g),
    bridge: driver === 'bridge' ? bridgeName(n) : undefined,
    options: n.Options ?? {}, labels: n.Labels ?? {}, containers,
  };
}

/** One container in the normalised form. */
export function containerFacts(c: ApiContainer): ContainerFacts {
  return {
    id: c.Id, name: (c.Names?.[0] ?? '').replace(/^\//, ''), state: c.State ?? 'running',
    networks: Object.entries(c.NetworkSettings?.Networks ?? {}).map(([name, n]) => ({ network: name, ipv4: n.IPAddress || undefined, ipv6: n.GlobalIPv6Address || undefined, gatewayV6: n.IPv6Gateway || undefined })),
    ports: (c.Ports ?? []).map((p) => ({ ip: p.IP, privatePort: p.PrivatePort, publicPort: p.PublicPort, type: p.Type })),
  };
}

/** Networks and containers from one list call each, normalised; networks sorted by name, each with its container count. */
export function normaliseDocker(nets: readonly ApiNetwork[], ctrs: readonly ApiContainer[]): { networks: NetworkFacts[]; containers: ContainerFacts[] } {
  const containers = ctrs.map(containerFacts);
  const counts = new Map<string, number>();
  for (const c of containers) for (const n of c.networks) counts.set(n.network, (counts.get(n.network) ?? 0) + 1);
  const networks = nets.map((n) => networkFacts(n, counts.get(n.Name) ?? 0)).sort((a, b) => a.name.localeCompare(b.name));
  return { networks, containers };
}

/** The gateway Docker gave one IPv6 subnet (a bare address; old versions wrote address/length). */
function gatewayIn(subnet: string, gateways: readonly string[]): string | undefined {
  const c = parseCidr6(subnet);
  return gateways.map((g) => g.split('/')[0]).find((g) => g.includes(':') && !!c && containsAddress(c, g));
}

/**
 * Reconcile's view of normalised facts: bridge networks with their IPv6 subnets, running containers with
 * IPv6. Every value that reaches an ip6tables rule or a netlink call is checked here, once: a bridge name
 * ip6tables would read as something else (`+` is its wildcard, `!` a negation; quotes break the batch)
 * leaves its network out (listed in `skipped`; the catch-all drops keep a docker0 / br-* bridge closed, and one bad network
 * never blocks the rules of the others); an address that is not IPv6 and a port or protocol out of range
 * are dropped.
 */
export function dockerView(networks: readonly NetworkFacts[], containers: readonly ContainerFacts[]): DockerFacts {
  const skipped: SkippedNet[] = [];
  const nets: NetFact[] = [];
  for (const n of networks.filter((x) => x.driver === 'bridge')) {
    const bridge = n.bridge ?? bridgeName({ Id: n.id, Name: n.name, Options: n.options });
    const problem = ifNameProblem(bridge);
    if (problem) { skipped.push({ id: n.id, name: n.name, bridge, problem, kind: 'name', subnets6: n.ipv6Subnets.filter((x) => !!parseCidr6(x)) }); continue; }
    const snat = dockerSnatOf(n);
    nets.push({
      id: n.id, name: n.name, bridge, subnets6: n.ipv6Subnets.map((subnet) => ({ subnet, gateway: gatewayIn(subnet, n.gateways) })),
      ...(n.internal ? { internal: true } : {}), ...(n.ipv4Subnets.length ? { subnets4: n.ipv4Subnets } : {}), ...(snat ? { dockerSnat6: snat } : {}),
    });
  }
  return {
    networks: nets,
    containers: containers.filter((c) => c.state === 'running').map((c) => ({
      id: c.id, name: c.name || c.id.slice(0, 12),
      v6: Object.fromEntries(c.networks.filter((n) => !!n.ipv6 && isIPv6Address(n.ipv6)).map((n) => [n.network, n.ipv6!])),
      published: c.ports
        .filter((p) => p.publicPort && opensToWorld(p.ip) && PROTOS.has(p.type) && Number.isInteger(p.privatePort) && p.privatePort > 0 && p.privatePort < 65536)
        .map((p) => ({ port: p.privatePort, proto: p.type as 'tcp' | 'udp' | 'sctp' })),
    })),
    ...(skipped.length ? { skipped } : {}),
  };
}

/** A bridge name Docker makes itself (docker0, br-<12 hex digits of the network id>): never a host interface. */
export function isDockerMadeBridge(name: string): boolean {
  return /^(docker0|br-[0-9a-f]{12})$/.test(name);
}

/**
 * Why a listed network's bridge is not Docker's alone, so no rule of ours may name it, or undefined. A rule
 * `-i X -o X ACCEPT` on a host bridge (`com.docker.network.bridge.name=vmbr0` joins Docker to the host's
 * own LAN bridge) would forward the whole LAN; the uplink is worse. So: not the uplink; when the interface
 * exists, a bridge holding no address outside the network's own subnets (link-local ones aside).
 */
export function bridgeNotOurs(n: NetFact, net: Pick<NetState, 'links' | 'addresses'>, uplink?: string): string | undefined {
  return bridgeProblem(n, linksByName(net), uplink);
}

/** The links by name and each link's addresses: vetting 1000 networks looks each bridge up once, not by a scan. */
interface LinkIndex { links: Map<string, Pick<LinkInfo, 'index' | 'kind'>>; addresses: Map<number, AddrInfo[]> }

function linksByName(net: Pick<NetState, 'links' | 'addresses'>): LinkIndex {
  const addresses = new Map<number, AddrInfo[]>();
  for (const a of net.addresses) {
    const list = addresses.get(a.ifindex);
    if (list) list.push(a); else addresses.set(a.ifindex, [a]);
  }
  // the first link of a name, as a scan would find it
  const links = new Map<string, Pick<LinkInfo, 'index' | 'kind'>>();
  for (const l of [...net.links].reverse()) links.set(l.name, l);
  return { links, addresses };
}

function bridgeProblem(n: NetFact, net: LinkIndex, uplink?: string): string | undefined {
  if (uplink && n.bridge === uplink) return `its bridge ${n.bridge} is the uplink`;
  const link = net.links.get(n.bridge);
  if (!link) return undefined; // Docker has not made it yet: the name is still its own
  if (link.kind !== undefined && link.kind !== 'bridge') return `its bridge ${n.bridge} is a ${link.kind} interface, not a bridge`;
  const subnets = [...n.subnets6.map((s) => s.subnet), ...(n.subnets4 ?? [])];
  const foreign = (net.addresses.get(link.index) ?? []).filter((a) => !isLinkLocal(a) && !subnets.some((s) => inSubnet(s, a.address)));
  if (foreign.length) return `its bridge ${n.bridge} holds ${foreign.map((a) => `${a.address}/${a.prefixlen}`).join(', ')}, outside the network's subnets (a host interface)`;
  return undefined;
}

function isLinkLocal(a: AddrInfo): boolean {
  return a.family === 6 ? /^fe[89ab]/i.test(a.address) : a.address.startsWith('169.254.');
}

function inSubnet(subnet: string, address: string): boolean {
  const c = parseCidr(subnet);
  const a = parseAddress(address);
  return !!c && !!a && containsAddress(c, a);
}

/** The view with networks whose bridge is not Docker's alone moved to `skipped` (see bridgeNotOurs). */
export function vetBridges(docker: DockerFacts, net: Pick<NetState, 'links' | 'addresses'>, uplink?: string): DockerFacts {
  const skipped: SkippedNet[] = [...(docker.skipped ?? [])];
  const index = linksByName(net);
  const networks = docker.networks.filter((n) => {
    const problem = bridgeProblem(n, index, uplink);
    if (problem) skipped.push({ id: n.id, name: n.name, bridge: n.bridge, problem, kind: 'host', subnets6: n.subnets6.map((x) => x.subnet) });
    return !problem;
  });
  return { ...docker, networks, ...(skipped.length ? { skipped } : {}) };
}

/** From one GET /networks and one GET /containers/json (running only) to reconcile's view. */
export function dockerFacts(nets: readonly ApiNetwork[], ctrs: readonly ApiContainer[]): DockerFacts {
  const n = normaliseDocker(nets, ctrs);
  return dockerView(n.networks, n.containers);
}
