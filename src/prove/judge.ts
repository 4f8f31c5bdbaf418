// Turns what the probes saw and the host facts into a pass/fail table with a reason per fail (pure).
import type { Mode } from '../model/state';
import { classifyV6, contains, containsAddress, isIPv6Address, parseCidr6 } from '../model/ip';
import type { ExecResult, PathMtuSeen } from './probe';
import { mapAddress } from '../model/npt';

/** skip: the row could not be judged (it depends on another row that failed); it does not fail the run by itself. */
export type Status = 'pass' | 'fail' | 'skip';
export interface CheckRow { id: string; title: string; status: Status; detail: string; fix?: string }

export interface VerifyFacts {
  /** ipv6Only: a Docker 28+ network with EnableIPv4=false (no check here needs IPv4: measured on 28 and 29) */
  network: { name: string; enableIPv6: boolean; subnets6: string[]; ipv6Only?: boolean };
  mode?: Mode;
  prefix?: string;
  uplink?: string;
  hostAddress?: string;
  defaultRoute?: { gateway?: string; ifname?: string };
  /** net.ipv6.conf.all.forwarding as read */
  forwarding?: string;
  /** the IPv6 masquerade sources in ip6tables nat (undefined: could not read the firewall) */
  masqueraded?: string[];
  /** NDP proxy entries on the host */
  proxies?: string[];
  /** npt: the outside prefix the inside one (prefix) is translated to */
  outsidePrefix?: string;
  target?: string;
  targetWhy: string;
  /** nat mode: the source enable chose (--nat-source), which the far end sees */
  natSource?: string;
}

export interface Observed {
  addressA?: string;
  addressB?: string;
  hostReach?: ExecResult;
  dns?: ExecResult;
  ping?: ExecResult;
  tcp?: ExecResult;
  egress?: ExecResult;
  /** the source the far end saw for the egress probe, read from the host's conntrack table (undefined: not observable) */
  egressSeenAs?: string;
  /** after a good egress: full-size pings to the target, Packet Too Big and the path MTU learned from it */
  pathMtu?: PathMtuSeen;
  published?: { port?: number; ok: boolean; error?: string };
}

const V6_RE = /[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}/gi;

function why(r: ExecResult | undefined): string {
  if (!r) return 'not run';
  if (r.timedOut) return 'timed out';
  const last = r.output.split('\n').filter(Boolean).slice(-1)[0] ?? '';
  return `exit ${r.code}${last ? `: ${last}` : ''}`;
}

function ok(r: ExecResult | undefined): boolean { return !!r && r.code === 0 && !r.timedOut; }

/** The masquerade source covering the subnet, if any. */
export function masqueradeFor(subnet: string, sources: string[]): string | undefined {
  const s = parseCidr6(subnet);
  return s ? sources.find((m) => { const c = parseCidr6(m); return !!c && contains(c, s); }) : undefined;
}

type SourceKind = 'npt' | 'chosen' | 'nat' | 'own';

/**
 * An egress source in words, the same whether conntrack saw it or the NAT rules imply it: the container's address
 * mapped (npt), the chosen source, a host address (NAT66), the container's own. No address: "a host address".
 */
function sourceWords(kind: SourceKind, address: string | undefined, w: { container?: string; outsidePrefix?: string; masq?: string }): string {
  const by = w.masq ? `, masqueraded by ${w.masq}` : '';
  if (kind === 'npt') return `${address ?? '?'}: the container's ${w.container} mapped into ${w.outsidePrefix} (NPTv6)`;
  if (kind === 'chosen') return `the chosen source ${address} (--nat-source${w.masq ? `, SNAT of ${w.masq}` : ''})`;
  if (kind === 'nat') return `${address ? `the host's address ${address}` : 'a host address'} (NAT66${by}), not the container's ${w.container}`;
  return `the container's own address ${address} (untranslated)`;
}

export function judge(f: VerifyFacts, o: Observed): CheckRow[] {
  const rows: CheckRow[] = [];
  const row = (id: string, title: string, pass: boolean, detail: string, fix?: string) => rows.push({ id, title, status: pass ? 'pass' : 'fail', detail, ...(pass ? {} : { fix }) });
  const subnet = f.network.subnets6[0];

  // 5. the host first, so "the host has no IPv6" is told apart from "the containers have no IPv6"
  const dr = f.defaultRoute;
  row('host-route', 'host IPv6 default route', !!dr, dr ? `via ${dr.gateway ?? '(direct)'} dev ${dr.ifname ?? '?'}` : 'the host has no IPv6 default route', 'the host itself has no IPv6 to outside: configure the uplink (router advertisements with accept_ra=2 when forwarding, or a static default route)');
  const hostOk = ok(o.hostReach);
  row('host-reach', `host reaches ${f.target ?? 'the target'}`, hostOk, f.target ? (hostOk ? `echo reply from ${f.target}` : `no echo reply from ${f.target} (${why(o.hostReach)})`) : f.targetWhy, 'the host itself cannot reach outside over IPv6: fix the host before the containers');

  // 1. an address from the subnet
  let addrOk = false;
  let addrDetail: string;
  let addrFix: string | undefined;
  if (!f.network.enableIPv6 || !subnet) {
    addrDetail = `network ${f.network.name} has IPv6 ${f.network.enableIPv6 ? 'on but no IPv6 subnet' : 'off'}`;
    addrFix = `docker ipv6 network upgrade ${f.network.name} (or create one: docker ipv6 network create NAME)`;
  } else if (!o.addressA) {
    addrDetail = `the probe got no IPv6 address on ${f.network.name}`;
    addrFix = 'check dockerd: docker network inspect ' + f.network.name;
  } else {
    const c = parseCidr6(o.addressA)!;
    const kind = classifyV6(c);
    const inSub = f.network.subnets6.some((s) => containsAddress(parseCidr6(s)!, o.addressA!));
    addrOk = inSub && (kind === 'global' || kind === 'ula' || kind === 'documentation');
    addrDetail = `${o.addressA} (${kind}) ${inSub ? 'from' : 'NOT from'} ${f.network.subnets6.join(', ')}`;
    addrFix = 'the network hands out addresses outside its subnet or link-local only: re-create it with docker ipv6 network create';
  }
  row('address', 'container has a global/ULA IPv6 address', addrOk, addrDetail, addrFix);
  const noAddr = 'skipped for a reason: the probe has no IPv6 address (see address)';

  // 2. container to container by name
  if (!addrOk) {
    row('dns', 'embedded DNS returns AAAA', false, noAddr, addrFix);
    row('c2c-ping', 'container to container by name (ping6)', false, noAddr, addrFix);
    row('c2c-tcp', 'container to container over TCP/IPv6', false, noAddr, addrFix);
  } else {
    const found = (o.dns?.output.match(V6_RE) ?? []).filter((a) => isIPv6Address(a) && f.network.subnets6.some((s) => containsAddress(parseCidr6(s)!, a)));
    row('dns', 'embedded DNS returns AAAA', found.length > 0, found.length ? `AAAA ${found.join(', ')}` : `no AAAA record from the subnet (${why(o.dns)})`, 'user-defined networks resolve names; the default bridge does not: use a network made with docker ipv6 network create');
    row('c2c-ping', 'container to container by name (ping6)', ok(o.ping), ok(o.ping) ? `echo reply from ${o.addressB}` : `no reply (${why(o.ping)})`, 'check ip6tables FORWARD rules between containers on the bridge (icc)');
    const tcpOk = ok(o.tcp) && (o.tcp?.output ?? '').includes('d6-ok');
    row('c2c-tcp', 'container to container over TCP/IPv6', tcpOk, tcpOk ? `connected to [${o.addressB}]:7000` : `no answer from [${o.addressB}]:7000 (${why(o.tcp)})`, 'check the filter rules between containers (icc, DOCKER-ISOLATION)');
  }

  // 3. egress and the source address the far end sees
  const masq = subnet && f.masqueraded ? masqueradeFor(subnet, f.masqueraded) : undefined;
  const ula = subnet ? classifyV6(parseCidr6(subnet)!) === 'ula' : false;
  if (!addrOk) row('egress', `egress to ${f.target ?? 'the target'}`, false, noAddr, addrFix);
  else if (!f.target) row('egress', 'egress', false, f.targetWhy, 'pass --target ADDRESS');
  else if (ok(o.egress)) row('egress', `egress to ${f.target}`, true, `echo reply from ${f.target}`);
  else {
    let reason: string;
    let fix: string;
    if (!hostOk) { reason = 'the host itself cannot reach the target (see host-reach)'; fix = 'fix the host\'s IPv6 first'; }
    else if (f.forwarding !== '1') { reason = `IPv6 forwarding is off on the host (net.ipv6.conf.all.forwarding=${f.forwarding ?? '?'})`; fix = 'sysctl -w net.ipv6.conf.all.forwarding=1, or docker ipv6 enable'; }
    // npt translates the whole inside prefix (D6-NAT): a ULA network there needs no masquerade
    else if (ula && f.mode !== 'npt' && f.masqueraded && !masq) { reason = `no IPv6 masquerade rule covers ${subnet}: the far end sees a ULA source it cannot answer`; fix = 'docker ipv6 enable (nat mode) puts the NAT66 back; check ip6tables -t nat -S POSTROUTING'; }
    else if (f.mode === 'npt') { reason = `no reply: in npt mode the upstream router must route ${f.outsidePrefix ?? 'the outside prefix'} to this host`; fix = `on the router: ip -6 route add ${f.outsidePrefix ?? '<outside prefix>'} via ${f.hostAddress ?? '<this host\'s uplink address>'}`; }
    else if (f.mode === 'routed' && !masq) { reason = `no reply: in routed mode the upstream router must route ${f.prefix ?? subnet} to this host`; fix = `on the router: ip -6 route add ${f.prefix ?? subnet} via ${f.hostAddress ?? '<this host\'s uplink address>'}`; }
    else if (f.mode === 'ndp' && o.addressA && !(f.proxies ?? []).includes(o.addressA)) { reason = `no NDP proxy entry for ${o.addressA} on ${f.uplink ?? 'the uplink'}: the router cannot find the container`; fix = 'docker ipv6 apply adds the entries of the containers running now; keep the docker-ipv6 agent running so new ones get theirs (docker ipv6 doctor says how here)'; }
    else { reason = 'no reply'; fix = 'compare with ping6 from the host; check ip6tables -S FORWARD'; }
    row('egress', `egress to ${f.target}`, false, `${reason} (${why(o.egress)})`, fix);
  }
  if (addrOk && subnet) {
    // What the far end saw is read from the host's conntrack table (the reply direction is addressed to it);
    // where that cannot be read, the source is inferred from the NAT rules that apply, and the title says so.
    const inside = f.prefix && o.addressA && f.mode === 'npt' && f.outsidePrefix ? mapAddress(o.addressA, f.prefix, f.outsidePrefix) : undefined;
    const expectNat = !inside && (ula || f.mode === 'nat' || (!f.mode && ula));
    const title = o.egressSeenAs ? 'source address seen outside (conntrack)' : 'expected source address (from the NAT rules)';
    const words = { container: o.addressA, outsidePrefix: f.outsidePrefix, masq };
    if (!f.target || !ok(o.egress)) {
      rows.push({ id: 'egress-source', title, status: 'skip', detail: 'not judged: egress failed (see egress), so no packet left with a source address' });
    } else if (o.egressSeenAs) {
      const seen = o.egressSeenAs;
      const chosen = expectNat && f.natSource && masq ? f.natSource : undefined;
      const kind: SourceKind = inside ? 'npt' : chosen ? 'chosen' : expectNat ? 'nat' : 'own';
      const good = inside ? seen === inside : chosen ? seen === chosen : expectNat ? seen !== o.addressA : seen === o.addressA;
      // expected: the address the mode makes of the container's (any host address for NAT66)
      const expected = kind === 'nat' ? undefined : inside ?? chosen ?? o.addressA;
      row('egress-source', title, good, good ? sourceWords(kind, seen, words) : `${seen}, expected ${sourceWords(kind, expected, words)}`,
        inside ? 'docker ipv6 apply (puts the NPTv6 translation back)' : expectNat ? 'a ULA subnet needs NAT66: docker ipv6 enable --mode nat' : `a ${f.mode} network should not be masqueraded: remove the MASQUERADE rule for ${subnet}`);
    } else {
      const kind: SourceKind = inside ? 'npt' : masq && f.natSource ? 'chosen' : masq ? 'nat' : 'own';
      const address = { npt: inside, chosen: f.natSource, nat: f.hostAddress, own: o.addressA }[kind];
      const good = f.masqueraded === undefined || !!inside ? true : expectNat ? !!masq : !masq;
      row('egress-source', title, good, `${sourceWords(kind, address, words)}; inferred from the NAT rules, not seen at the far end${f.masqueraded === undefined ? ' (firewall unreadable: assumed)' : ''}`,
        expectNat ? 'a ULA subnet needs NAT66: docker ipv6 enable --mode nat' : `a ${f.mode} network should not be masqueraded: remove the MASQUERADE rule for ${subnet}`);
    }
  }

  if (addrOk && f.target) rows.push(pathMtuRow(f.target, ok(o.egress), o.pathMtu));

  // 4. a published port on the host's IPv6 address
  const p = o.published;
  if (!f.hostAddress) row('published', 'published port over IPv6', false, 'the host has no global IPv6 address on its uplink to test', 'give the uplink an IPv6 address');
  else row('published', 'published port over IPv6', !!p?.ok, p?.ok ? `[${f.hostAddress}]:${p.port} answered from the container` : `[${f.hostAddress}]:${p?.port ?? '?'} did not answer (${p?.error ?? 'not run'})`, 'check that Docker binds [::]:PORT (docker port CONTAINER) and that ip6tables lets it in');
  return rows;
}

/**
 * The path MTU to the target, from a container: a Packet Too Big that came back (the value its kernel learned), a
 * full-size ping that got through, or neither: a black hole, where big packets vanish without a word and TCP hangs.
 */
export function pathMtuRow(target: string, egressOk: boolean, p: PathMtuSeen | undefined): CheckRow {
  const id = 'path-mtu';
  const title = `path MTU to ${target}`;
  if (!egressOk) return { id, title, status: 'skip', detail: 'not judged: egress failed (see egress)' };
  if (!p || p.mtu === undefined || p.replied === undefined) return { id, title, status: 'skip', detail: `not measured: ${p?.output.split('\n').slice(-1)[0] || 'no answer from the probe'}` };
  if (p.tooBig) {
    return { id, title, status: 'pass', detail: p.learned
      ? `the path MTU to ${target} is ${p.learned}, below the container's ${p.mtu}: a Packet Too Big came back, so TCP adapts`
      : `the path MTU to ${target} is below the container's ${p.mtu}: a Packet Too Big came back, so TCP adapts (its value is read as root)` };
  }
  if (p.replied) return { id, title, status: 'pass', detail: `the path to ${target} carries the container's full MTU ${p.mtu}` };
  return {
    id, title, status: 'fail',
    detail: `${p.mtu}-byte packets to ${target} get no reply and no ICMPv6 Packet Too Big comes back (small ones do): a path MTU black hole, where TLS handshakes and uploads hang`,
    fix: 'let ICMPv6 Packet Too Big (type 2) through every firewall between the containers and the target, or lower the networks\' MTU (docker ipv6 doctor: networks.mtu)',
  };
}
