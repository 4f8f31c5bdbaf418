// Forwarding without losing the host: accept_ra=2 before forwarding, proxy_ndp for ndp (pure).
import { ifSysctl } from './sysctl';
import type { Mode } from './state';

export interface SysctlChange { key: string; from: string | undefined; to: string; why: string }

/** Changes in the order they must be applied. */
export function planSysctls(current: Record<string, string | undefined>, uplink: string | undefined, mode: Mode): SysctlChange[] {
  const out: SysctlChange[] = [];
  const want = (key: string, to: string, why: string) => {
    if (current[key] !== to) out.push({ key, from: current[key], to, why });
  };
  if (current['net.ipv6.conf.all.disable_ipv6'] === '1') want('net.ipv6.conf.all.disable_ipv6', '0', 'IPv6 is disabled on this host');
  if (uplink) {
    const ra = ifSysctl(uplink, 'accept_ra');
    // forwarding=1 makes the kernel ignore RAs unless accept_ra=2: the RA-learnt default route would expire
    if (current[ra] === '1') want(ra, '2', `keep accepting router advertisements on ${uplink} once forwarding is on`);
  }
  want('net.ipv6.conf.default.forwarding', '1', 'route container traffic');
  want('net.ipv6.conf.all.forwarding', '1', 'route container traffic');
  if (mode === 'ndp' && uplink) {
    want(ifSysctl(uplink, 'proxy_ndp'), '1', `answer neighbour solicitations for container addresses on ${uplink}`);
  }
  return out;
}

/**
 * What /etc/sysctl.d keeps across a reboot: accept_ra=2 on the uplink when it takes router advertisements,
 * and proxy_ndp (both harmless while forwarding is off). Forwarding itself only in nat mode, where Docker's
 * own filter guards the prefix. In routed and ndp our chain is the only filter, so forwarding is raised at
 * boot by `docker ipv6 apply --boot` (docker-ipv6-boot.service, before docker.service) once it has installed
 * the closed chain: a host that boots without that unit comes up with forwarding off (closed), never open.
 */
export function persistedSysctls(current: Record<string, string | undefined>, uplink: string | undefined, mode: Mode): SysctlChange[] {
  const ra = uplink ? ifSysctl(uplink, 'accept_ra') : undefined;
  const takesRa = ra !== undefined && (current[ra] === '1' || current[ra] === '2');
  return planSysctls(takesRa ? { [ra]: '1' } : {}, uplink, mode)
    .filter((c) => c.key !== 'net.ipv6.conf.all.disable_ipv6' && (mode === 'nat' || !c.key.endsWith('.forwarding')));
}

/** The persisted form: /etc/sysctl.d/60-docker-ipv6.conf, applied at boot. */
export function renderSysctlConf(values: Array<{ key: string; to: string }>): string {
  const lines = ['# Written by docker-ipv6 enable; removed by docker-ipv6 disable.'];
  for (const v of values) {
    const m = /^net\.ipv6\.conf\.(.+)\.([a-z_0-9]+)$/.exec(v.key);
    // an interface name with dots (eth0.100) needs sysctl's slash form
    const key = m && m[1].includes('.') ? `net/ipv6/conf/${m[1]}/${m[2]}` : v.key;
    lines.push(`${key} = ${v.to}`);
  }
  return `${lines.join('\n')}\n`;
}
