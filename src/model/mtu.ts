// MTUs as data: the uplink's IPv6 MTU, the MTU Docker gives each network's containers, and the one enable sets (pure).
import type { LinkInfo } from './net';
import { MTU_OPTION } from './docker';

/** Docker's MTU for bridge networks when nothing sets one (daemon.json "mtu" absent or 0). */
export const DOCKER_DEFAULT_MTU = 1500;
/** IPv6 needs every link to carry 1280 bytes (RFC 8200); the kernel turns IPv6 off on a link below it. */
export const IPV6_MIN_MTU = 1280;

/**
 * The uplink's IPv6 MTU: its link MTU, lowered by net.ipv6.conf.<uplink>.mtu when that is smaller (a router
 * advertisement's MTU option sets it). Undefined when the uplink or its MTU is unknown.
 */
export function uplinkMtu(links: readonly LinkInfo[], uplink: string | undefined, sysctls: Record<string, string | undefined>): number | undefined {
  const link = uplink ? links.find((l) => l.name === uplink)?.mtu : undefined;
  const v6 = uplink ? Number(sysctls[`net.ipv6.conf.${uplink}.mtu`]) : NaN;
  const known = [link, Number.isInteger(v6) && v6 > 0 ? v6 : undefined].filter((n): n is number => typeof n === 'number' && n > 0);
  return known.length ? Math.min(...known) : undefined;
}

/** The default bridge's MTU as dockerd applies daemon.json's "mtu" (absent or 0: 1500). */
export function defaultBridgeMtu(config: Record<string, unknown>): number {
  const v = config.mtu;
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : DOCKER_DEFAULT_MTU;
}

/** The MTU a network gives its containers: its driver option, for the default bridge daemon.json's "mtu". */
export function networkMtu(n: { name: string; options: Record<string, string> }, config: Record<string, unknown>): number {
  const opt = Number(n.options[MTU_OPTION]);
  if (Number.isInteger(opt) && opt > 0) return opt;
  return n.name === 'bridge' ? defaultBridgeMtu(config) : DOCKER_DEFAULT_MTU;
}

export interface MtuPlan {
  uplink: string;
  uplinkMtu: number;
  /** the default bridge's MTU now (daemon.json) and after enable */
  before: number;
  after: number;
}

/**
 * What enable does about the MTU: when the uplink carries less than the default bridge gives its containers, the
 * bridge (daemon.json "mtu") and the networks `network create` makes get the uplink's MTU, so containers never
 * depend on Packet Too Big coming back. It only lowers: an MTU already at or below the uplink's stays. Undefined
 * when the uplink's MTU is unknown, or below IPv6's 1280 (IPv6 cannot run there at all).
 */
export function planMtu(uplink: string, mtu: number | undefined, config: Record<string, unknown>): MtuPlan | undefined {
  if (mtu === undefined || mtu < IPV6_MIN_MTU) return undefined;
  const before = defaultBridgeMtu(config);
  return { uplink, uplinkMtu: mtu, before, after: Math.min(before, mtu) };
}
