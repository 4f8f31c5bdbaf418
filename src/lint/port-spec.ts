// Compose's short `ports` syntax read exactly as Compose reads it, and each binding's host address judged by scope.
// Compose (compose-go's ParsePortConfig) hands the string to go-connections' nat.ParsePortSpec; these are that
// function's rules, restated here (not copied): split on ":" with everything before the last two parts as the host
// address (so "::1:67:67" is host ::1, host port 67, container port 67), brackets stripped only when the address
// starts with "[", the protocol cut at the first "/" of the container part, Go's net.ParseIP for the address
// (no zones, no leading zeros in IPv4), port numbers 0-65535, and the first failing check's message.
import { parseAddress } from '../model/ip';

/** Where a binding listens on the host. */
export type PortScope =
  | 'all' // no address: every address of both families
  | 'all-ipv4' // 0.0.0.0
  | 'all-ipv6' // ::
  | 'loopback-ipv4' // 127.0.0.0/8
  | 'loopback-ipv6' // ::1
  | 'host-ipv4' // one IPv4 address of the host
  | 'host-ipv6'; // one IPv6 address of the host

export interface PortSpec {
  /** the host address without brackets; '' when none was written */
  hostIp: string;
  /** host port or range as written ('' when Docker picks one) */
  published: string;
  /** container port or range */
  target: string;
  protocol: string;
}

export type ParsedPort = { ok: true; spec: PortSpec } | { ok: false; error: string };

/** strings.Split(raw, ":") with everything before the last two parts joined back: nat's splitParts. */
function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  if (n === 1) return ['', '', parts[0]];
  if (n === 2) return ['', parts[0], parts[1]];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2], parts[n - 1]];
}

/** strconv.ParseInt(s, 10, 0) limited to 0..65535: an optional sign, decimal digits only. */
function portNumber(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = Number(s);
  return v >= 0 && v <= 65535 ? v : undefined;
}

/** "80" or "8000-8010"; undefined when nat would refuse it. */
function portRange(s: string): { start: number; end: number } | undefined {
  if (s === '') return undefined;
  const dash = s.indexOf('-');
  const startText = dash < 0 ? s : s.slice(0, dash);
  const start = portNumber(startText);
  if (start === undefined) return undefined;
  if (dash < 0) return { start, end: start };
  const endText = s.slice(dash + 1);
  if (endText === startText) return { start, end: start };
  const end = portNumber(endText);
  if (end === undefined || end < start) return undefined;
  return { start, end };
}

const V4_FIELD = /^(0|[1-9]\d{0,2})$/;

/** Dotted IPv4 as Go reads it: four decimal fields up to 255, no leading zeros. */
function v4Value(text: string): bigint | undefined {
  const f = text.split('.');
  if (f.length !== 4 || !f.every((x) => V4_FIELD.test(x) && Number(x) <= 255)) return undefined;
  return BigInt(((Number(f[0]) * 256 + Number(f[1])) * 256 + Number(f[2])) * 256 + Number(f[3]));
}

/** Go's net.ParseIP: dotted IPv4 without leading zeros, IPv6 (an IPv4 tail allowed), no zone, no blanks. */
export function goParseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  if (!text.includes(':')) {
    const v = v4Value(text);
    return v === undefined ? undefined : { family: 4, value: v };
  }
  if (/[\s%]/.test(text)) return undefined;
  const tail = text.slice(text.lastIndexOf(':') + 1);
  if (tail.includes('.') && v4Value(tail) === undefined) return undefined;
  const a = parseAddress(text);
  return a?.family === 6 ? a : undefined;
}

/** Parses one short-syntax entry; the error is the message Compose stops with. */
export function parseShortPort(raw: string): ParsedPort {
  const [ipPart, hostPort, containerPart] = splitParts(raw);
  const slash = containerPart.indexOf('/');
  const containerPort = slash < 0 ? containerPart : containerPart.slice(0, slash);
  let protocol = slash < 0 ? '' : containerPart.slice(slash + 1);
  if (containerPort === '') return { ok: false, error: `no port specified: ${raw}<empty>` };
  protocol = (protocol || 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(protocol)) return { ok: false, error: `invalid proto: ${protocol}` };
  let ip = ipPart;
  if (ip.startsWith('[')) {
    // net.SplitHostPort(ip + ":"): the address must be exactly "[...]", with no other bracket
    if (!ip.endsWith(']') || ip.indexOf(']') !== ip.length - 1 || ip.indexOf('[', 1) >= 0) return { ok: false, error: `invalid IP address ${ip}` };
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && !goParseIp(ip)) return { ok: false, error: `invalid IP address: ${ip}` };
  const target = portRange(containerPort);
  if (!target) return { ok: false, error: `invalid containerPort: ${containerPort}` };
  if (hostPort !== '') {
    const host = portRange(hostPort);
    if (!host) return { ok: false, error: `invalid hostPort: ${hostPort}` };
    // a host range may stand for one container port (Docker picks one of them), otherwise the sizes must agree
    if (host.end - host.start !== target.end - target.start && target.end !== target.start) {
      return { ok: false, error: `invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}` };
    }
  }
  return { ok: true, spec: { hostIp: ip, published: hostPort, target: containerPort, protocol } };
}

/** The scope of a host address; undefined when it is not an address Go would parse. */
export function scopeOf(hostIp: string): PortScope | undefined {
  if (hostIp === '') return 'all';
  const a = goParseIp(hostIp);
  if (!a) return undefined;
  // Docker treats an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it carries
  const mapped = a.family === 6 && a.value >> 32n === 0xffffn;
  if (a.family === 4 || mapped) {
    const v4 = a.value & 0xffffffffn;
    if (v4 === 0n) return 'all-ipv4';
    return v4 >> 24n === 127n ? 'loopback-ipv4' : 'host-ipv4';
  }
  if (a.value === 0n) return 'all-ipv6';
  return a.value === 1n ? 'loopback-ipv6' : 'host-ipv6';
}

/** The families a scope serves. */
export function scopeFamilies(scope: PortScope): { v4: boolean; v6: boolean } {
  if (scope === 'all') return { v4: true, v6: true };
  return { v4: scope.endsWith('ipv4'), v6: scope.endsWith('ipv6') };
}
