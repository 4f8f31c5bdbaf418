// The state file's content checked on load (pure): every field of ToolState has its type, and every value
// that reaches a route, a rule, a sysctl path or a file write is one the tool itself would have written.
// A saved prefix of ::/0 once became `unreachable ::/0`; such a file is refused before anything is changed.
import { isGlobalV6, isIPv6Address, isUla, parseCidr6 } from './ip';
import { OUR_UNITS, validateIfName } from './names';
import { judgePrefix } from './prefix-rules';

/** The first field that is wrong, in the file's own terms (`enabled.sysctls["x"]`), and why. */
export interface StateProblem { field: string; why: string }

const MODES = ['nat', 'routed', 'ndp'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = JSON.stringify;

function isIfName(name: unknown): boolean {
  if (typeof name !== 'string') return false;
  try { validateIfName(name); return true; } catch { return false; }
}

/** A unicast address the tool may proxy: global unicast or ULA, as the prefix it belongs to. */
function isServableAddress(a: unknown): boolean {
  if (typeof a !== 'string' || !isIPv6Address(a)) return false;
  const c = parseCidr6(`${a}/128`);
  return !!c && (isUla(c) || isGlobalV6(c));
}

/** The sysctl keys enable records (net.ipv4.ip_forward, net.ipv6.conf.<if|all|default>.<name>): nothing that leaves /proc/sys/net. */
function isSysctlKey(k: string): boolean {
  if (/^net\.ipv4\.[a-z0-9_]+$/.test(k)) return true;
  const m = /^net\.ipv6\.(conf|neigh)\.(.+)\.([a-z0-9_]+)$/.exec(k);
  return !!m && (m[2] === 'all' || m[2] === 'default' || isIfName(m[2]));
}

function prefixProblem(field: string, v: unknown): StateProblem | undefined {
  if (typeof v !== 'string') return { field, why: `is ${str(v)}, not a prefix` };
  const j = judgePrefix(v);
  return 'problem' in j ? { field, why: `${v} ${j.problem.why}` } : undefined;
}

function enabledProblem(e: unknown): StateProblem | undefined {
  if (!isObj(e)) return { field: 'enabled', why: 'is not an object' };
  if (typeof e.at !== 'string') return { field: 'enabled.at', why: 'is not a string' };
  const d = e.daemonJson;
  if (!isObj(d)) return { field: 'enabled.daemonJson', why: 'is not an object' };
  // disable rewrites this file: an absolute path with nothing a shell or the kernel would read differently
  if (typeof d.path !== 'string' || !d.path.startsWith('/') || /[\0\n]/.test(d.path)) return { field: 'enabled.daemonJson.path', why: `is ${str(d.path)}, not an absolute path` };
  if (typeof d.fileExisted !== 'boolean') return { field: 'enabled.daemonJson.fileExisted', why: 'is not true or false' };
  if (!isObj(d.undo)) return { field: 'enabled.daemonJson.undo', why: 'is not an object' };
  if (!isObj(d.undo.previous)) return { field: 'enabled.daemonJson.undo.previous', why: 'is not an object' };
  for (const [k, p] of Object.entries(d.undo.previous)) {
    const ok = isObj(p) && (p.absent === true || ('value' in p && (p.raw === undefined || typeof p.raw === 'string')));
    if (!ok) return { field: `enabled.daemonJson.undo.previous[${str(k)}]`, why: 'is neither {"absent": true} nor {"value": ...}' };
  }
  if (d.undo.emptyText !== undefined && typeof d.undo.emptyText !== 'string') return { field: 'enabled.daemonJson.undo.emptyText', why: 'is not a string' };
  if (!isObj(e.sysctls)) return { field: 'enabled.sysctls', why: 'is not an object' };
  for (const [k, v] of Object.entries(e.sysctls)) {
    if (!isSysctlKey(k)) return { field: `enabled.sysctls[${str(k)}]`, why: 'is not a net.ipv4/net.ipv6 sysctl key' };
    if (typeof v !== 'string' || !/^-?\d{0,19}$/.test(v)) return { field: `enabled.sysctls[${str(k)}]`, why: `is ${str(v)}, not a number` };
  }
  for (const k of ['sysctlFileWritten', 'natByUs', 'filterByUs']) {
    if (typeof e[k] !== 'boolean') return { field: `enabled.${k}`, why: 'is not true or false' };
  }
  if (e.forwardPolicyBefore !== undefined && e.forwardPolicyBefore !== 'ACCEPT' && e.forwardPolicyBefore !== 'DROP') return { field: 'enabled.forwardPolicyBefore', why: `is ${str(e.forwardPolicyBefore)}, not ACCEPT or DROP` };
  return e.services === undefined ? undefined : servicesProblem(e.services);
}

/** disable stops, disables and removes what this lists: only our own units, and unit files in a systemd unit folder. */
function servicesProblem(v: unknown): StateProblem | undefined {
  if (!isObj(v)) return { field: 'enabled.services', why: 'is not an object' };
  for (const k of Object.keys(v)) if (!['wrote', 'enabled', 'started'].includes(k)) return { field: `enabled.services.${k}`, why: 'is not a field docker ipv6 writes' };
  for (const k of ['enabled', 'started'] as const) {
    const l = v[k];
    if (l === undefined) continue;
    if (!Array.isArray(l)) return { field: `enabled.services.${k}`, why: 'is not a list' };
    for (const [i, u] of l.entries()) if (typeof u !== 'string' || !OUR_UNITS.includes(u)) return { field: `enabled.services.${k}[${i}]`, why: `is ${str(u)}, not a docker-ipv6 unit` };
  }
  const w = v.wrote;
  if (w !== undefined) {
    if (!Array.isArray(w)) return { field: 'enabled.services.wrote', why: 'is not a list' };
    for (const [i, p] of w.entries()) {
      const ok = typeof p === 'string' && p.startsWith('/') && !p.split('/').includes('..') && OUR_UNITS.some((u) => p.endsWith(`/etc/systemd/system/${u}`));
      if (!ok) return { field: `enabled.services.wrote[${i}]`, why: `is ${str(p)}, not a docker-ipv6 unit file in /etc/systemd/system` };
    }
  }
  return undefined;
}

/** Why `v` (the parsed state.json) is not a state the tool could have written, or undefined when it is. */
export function stateProblem(v: unknown): StateProblem | undefined {
  if (!isObj(v)) return { field: '(top level)', why: 'is not a JSON object' };
  if (v.version !== 1) return { field: 'version', why: `is ${str(v.version)}; this docker ipv6 reads version 1` };
  if (v.prefix !== undefined) { const p = prefixProblem('prefix', v.prefix); if (p) return p; }
  if (v.mode !== undefined && !MODES.includes(v.mode as string)) return { field: 'mode', why: `is ${str(v.mode)}, not one of ${MODES.join(', ')}` };
  if (v.uplink !== undefined && !isIfName(v.uplink)) return { field: 'uplink', why: `is ${str(v.uplink)}, not a valid interface name` };
  if (v.enabled !== undefined) {
    const p = enabledProblem(v.enabled);
    if (p) return p;
    // what enable records always comes with the prefix, mode and uplink it enabled
    for (const k of ['prefix', 'mode', 'uplink']) if (v[k] === undefined) return { field: k, why: 'is missing while enabled is set' };
  }
  if (v.routes !== undefined) {
    if (!Array.isArray(v.routes)) return { field: 'routes', why: 'is not a list' };
    for (const [i, r] of v.routes.entries()) {
      // the spelling of reconcile/desired.ts routeKey(): only unreachable routes for a prefix of ours
      const m = typeof r === 'string' ? /^unreachable (\S+)$/.exec(r) : null;
      if (!m) return { field: `routes[${i}]`, why: `is ${str(r)}, not "unreachable PREFIX"` };
      const p = prefixProblem(`routes[${i}]`, m[1]);
      if (p) return p;
    }
  }
  for (const f of ['proxies', 'foreignProxies'] as const) {
    const list = v[f];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return { field: f, why: 'is not a list' };
    for (const [i, p] of list.entries()) {
      if (!isObj(p)) return { field: `${f}[${i}]`, why: 'is not an object' };
      if (!isServableAddress(p.address)) return { field: `${f}[${i}].address`, why: `is ${str(p.address)}, not a global or unique-local IPv6 address` };
      if (!isIfName(p.ifname)) return { field: `${f}[${i}].ifname`, why: `is ${str(p.ifname)}, not a valid interface name` };
    }
  }
  if (v.bridges !== undefined) {
    if (!Array.isArray(v.bridges)) return { field: 'bridges', why: 'is not a list' };
    // they reach rules of the boot skeleton: names a rule can hold safely, never a wildcard
    for (const [i, b] of v.bridges.entries()) if (!isIfName(b)) return { field: `bridges[${i}]`, why: `is ${str(b)}, not a valid interface name` };
  }
  if (v.allocations !== undefined) {
    if (!isObj(v.allocations)) return { field: 'allocations', why: 'is not an object' };
    for (const [k, s] of Object.entries(v.allocations)) {
      const c = typeof s === 'string' ? parseCidr6(s) : undefined;
      if (!c || !(isUla(c) || isGlobalV6(c))) return { field: `allocations[${str(k)}]`, why: `is ${str(s)}, not a global or unique-local IPv6 subnet` };
    }
  }
  return undefined;
}

