// Checks the daemon.json keys we write for a given dockerd version, and runs `dockerd --validate` where it exists.
// Unknown keys are left alone (dockerd's full option list differs per version); only near-misses of keys
// we know (e.g. "IPv6", "fixed_cidr_v6") are reported, since dockerd refuses those as unknown directives.
import { ConfigError, isToolError } from '../errors';
import { formatCidr, parseCidr as parseAnyCidr } from '../model/ip';
import type { Runner } from '../util/exec';
import { DAEMON_KEYS } from './keys';
import { dockerVersionAtLeast } from './version';

export interface Finding {
  key: string;
  severity: 'error' | 'warning';
  message: string;
  hint: string;
}

/** Boolean keys: dockerd fails to decode anything else ("cannot unmarshal string into Go struct field"). */
const BOOL_KEYS = ['ipv6', 'ip6tables', 'experimental', 'iptables', 'ip-forward', 'ip-masq', 'userland-proxy', 'icc', 'debug'];

function kind(v: unknown): string {
  return Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : `a ${typeof v} (${JSON.stringify(v)})`;
}

export interface ParsedCidr { family: 4 | 6; prefixLength: number; network: string; hostBitsSet: boolean }

/** A CIDR as Go's net.ParseCIDR accepts it (address/length, no zone, no blanks), or an error text. */
export function parseCidr(s: string): ParsedCidr | string {
  const m = /^([^/%]+)\/(\d{1,3})$/.exec(s);
  if (!m) return `"${s}" is not in address/length form`;
  const v6 = m[1].includes(':');
  const c = s === s.trim() ? parseAnyCidr(s) : undefined;
  if (!c || c.family !== (v6 ? 6 : 4)) return v6 ? `"${s}" is not a valid IPv6 CIDR` : `"${s}" is not a valid CIDR`;
  // dotted-quad tail ("::ffff:1.2.3.4/120"): Go reads it as IPv4-mapped
  if (v6 && m[1].includes('.')) return `"${s}" is an IPv4-mapped address`;
  return { family: c.family, prefixLength: c.length, network: formatCidr(c), hostBitsSet: c.hostBits };
}

function checkPools(pools: unknown, version: string | undefined, out: Finding[]): void {
  const key = 'default-address-pools';
  if (!Array.isArray(pools)) {
    out.push({ key, severity: 'error', message: `"${key}" must be an array of {"base": CIDR, "size": N}, not ${kind(pools)}`, hint: 'e.g. [{"base": "172.17.0.0/16", "size": 24}]' });
    return;
  }
  pools.forEach((p, i) => {
    const where = `"${key}"[${i}]`;
    if (p === null || typeof p !== 'object' || Array.isArray(p)) {
      out.push({ key, severity: 'error', message: `${where} must be an object {"base": CIDR, "size": N}, not ${kind(p)}`, hint: 'e.g. {"base": "fd00:1::/48", "size": 64}' });
      return;
    }
    const { base, size } = p as Record<string, unknown>;
    if (typeof base !== 'string') {
      out.push({ key, severity: 'error', message: `${where}.base must be a CIDR string, not ${kind(base)}`, hint: 'e.g. "base": "172.17.0.0/16"' });
      return;
    }
    const c = parseCidr(base);
    if (typeof c === 'string') { out.push({ key, severity: 'error', message: `${where}.base: ${c}`, hint: 'write the pool as network/length, e.g. "fd00:1::/48"' }); return; }
    const max = c.family === 4 ? 32 : 128;
    if (typeof size !== 'number' || !Number.isInteger(size)) {
      out.push({ key, severity: 'error', message: `${where}.size must be an integer prefix length, not ${kind(size)}`, hint: `a number between ${c.prefixLength} and ${max}` });
      return;
    }
    if (size <= 0 || size < c.prefixLength || size > max) {
      out.push({ key, severity: 'error', message: `${where}: size ${size} does not fit base ${base} (it must be between ${c.prefixLength} and ${max})`, hint: c.family === 6 ? 'e.g. {"base": "fd00:1::/48", "size": 64}' : 'e.g. {"base": "172.17.0.0/16", "size": 24}' });
      return;
    }
    // Before 27, dockerd lists every subnet of every pool up front (moby#40275, libnetwork#2683: OOM at 2^32).
    const bits = size - c.prefixLength;
    if (c.family === 6 && (version === undefined || !dockerVersionAtLeast(version, '27.0')) && bits > 16) {
      out.push({
        key, severity: bits >= 32 ? 'error' : 'warning',
        message: `${where}: ${base} split into /${size} is 2^${bits} subnets; dockerd before 27 builds that whole list at start-up${bits >= 32 ? ' and runs out of memory' : ' (slow start, much memory)'}`,
        hint: `use at most 16 bits of subnets, e.g. {"base": "${c.network.replace(/\/\d+$/, '')}/${size - 16}", "size": ${size}}`,
      });
    }
  });
}

/** Findings for the keys we know; `dockerVersion` enables the version rules. */
export function validateDaemonConfig(value: Record<string, unknown>, dockerVersion?: string): Finding[] {
  const out: Finding[] = [];
  const has = (k: string) => Object.prototype.hasOwnProperty.call(value, k);
  for (const k of BOOL_KEYS) {
    if (has(k) && typeof value[k] !== 'boolean') {
      out.push({ key: k, severity: 'error', message: `"${k}" must be true or false, not ${kind(value[k])}`, hint: `write "${k}": true (no quotes)` });
    }
  }
  if (has('fixed-cidr-v6')) {
    const v = value['fixed-cidr-v6'];
    const c = typeof v === 'string' ? parseCidr(v) : `must be a string, not ${kind(v)}`;
    if (typeof c === 'string') out.push({ key: 'fixed-cidr-v6', severity: 'error', message: `"fixed-cidr-v6": ${c}`, hint: 'an IPv6 prefix, e.g. "fd00:1:2:3::/64"' });
    else if (c.family !== 6) out.push({ key: 'fixed-cidr-v6', severity: 'error', message: `"fixed-cidr-v6": ${String(v)} is not an IPv6 prefix`, hint: 'an IPv6 prefix, e.g. "fd00:1:2:3::/64"' });
    else if (c.hostBitsSet) out.push({ key: 'fixed-cidr-v6', severity: 'warning', message: `"fixed-cidr-v6": ${String(v)} has host bits set`, hint: `write the network address: "${c.network}"` });
  }
  if (has('default-address-pools')) checkPools(value['default-address-pools'], dockerVersion, out);
  if (dockerVersion !== undefined) {
    // moby#47747 (27.0) made ip6tables stable; before it, dockerd exits at start without experimental.
    // measured on 20.10: "Error initializing network controller: IPv6 is enabled for the default bridge, but no subnet is
    // configured" (27 and later give the default bridge IPv6 without it only with a subnet from the pools)
    if (value.ipv6 === true && value['fixed-cidr-v6'] === undefined && !dockerVersionAtLeast(dockerVersion, '27.0')) {
      out.push({ key: 'ipv6', severity: 'error', message: `dockerd ${dockerVersion} refuses "ipv6": true without "fixed-cidr-v6" ("IPv6 is enabled for the default bridge, but no subnet is configured")`, hint: 'add "fixed-cidr-v6" with a prefix of yours, or leave "ipv6" out' });
    }
    if (value.ip6tables === true && value.experimental !== true && !dockerVersionAtLeast(dockerVersion, '27.0')) {
      out.push({ key: 'ip6tables', severity: 'error', message: `dockerd ${dockerVersion} refuses "ip6tables": true without "experimental": true ("ip6tables rules are only available if experimental features are enabled")`, hint: 'add "experimental": true, or upgrade to Docker 27 or later' });
    }
    for (const k of DAEMON_KEYS) {
      if (k.since && has(k.key) && !dockerVersionAtLeast(dockerVersion, k.since)) {
        out.push({ key: k.key, severity: 'error', message: `dockerd ${dockerVersion} does not know "${k.key}" (added in ${k.since}) and refuses the file`, hint: `remove "${k.key}" or upgrade Docker` });
      }
    }
  }
  const norm = (s: string) => s.toLowerCase().replace(/_/g, '-');
  const known = new Map(DAEMON_KEYS.map((k) => [norm(k.key), k.key]));
  for (const k of Object.keys(value)) {
    const near = known.get(norm(k));
    if (near && near !== k) {
      out.push({ key: k, severity: 'error', message: `"${k}" is not a dockerd option (dockerd: "the following directives don't match any configuration option: ${k}")`, hint: `write it as "${near}"` });
    }
  }
  return out;
}

/** Throws ConfigError listing every error finding; returns the warnings. */
export function assertValidDaemonConfig(value: Record<string, unknown>, path: string, dockerVersion?: string): Finding[] {
  const findings = validateDaemonConfig(value, dockerVersion);
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length) {
    throw new ConfigError(`${path} would stop dockerd: ${errors.map((e) => e.message).join('; ')}`, errors[0].hint);
  }
  return findings.filter((f) => f.severity === 'warning');
}

export interface DockerdValidation {
  ok: boolean;
  /** Who judged: dockerd's own --validate plus our rules, or our rules only. */
  by: 'dockerd' | 'tool';
  message: string;
  findings: Finding[];
}

const validateSupport = new Map<string, boolean>();

/** Whether this dockerd binary has --validate (23.0 and later), read from its --help. */
export async function dockerdHasValidate(dockerdPath: string, run: Runner): Promise<boolean> {
  const cached = validateSupport.get(dockerdPath);
  if (cached !== undefined) return cached;
  const r = await run([dockerdPath, '--help'], { timeoutMs: 15_000, okCodes: [1, 2, 125] });
  const yes = /--validate\b/.test(r.stdout + r.stderr);
  validateSupport.set(dockerdPath, yes);
  return yes;
}

/**
 * Validates `configFile` with `<dockerd> --validate` where that exists, always adding our own version
 * rules (--validate does not check settings dockerd verifies only at start, e.g. ip6tables/experimental).
 */
export async function validateWithDockerd(dockerdPath: string, configFile: string, run: Runner,
  opts: { value: Record<string, unknown>; dockerVersion?: string; extraArgs?: string[] }): Promise<DockerdValidation> {
  const findings = validateDaemonConfig(opts.value, opts.dockerVersion);
  const ours = findings.filter((f) => f.severity === 'error').map((f) => f.message);
  if (!(await dockerdHasValidate(dockerdPath, run))) {
    return { ok: ours.length === 0, by: 'tool', message: ours.length ? ours.join('; ') : 'configuration OK (checked by docker ipv6: this dockerd has no --validate)', findings };
  }
  let code: number;
  let text: string;
  try {
    const r = await run([dockerdPath, '--validate', '--config-file', configFile, ...(opts.extraArgs ?? [])], { timeoutMs: 30_000, okCodes: [1, 125] });
    code = r.code;
    text = (r.stdout + r.stderr).trim();
  } catch (e) {
    if (!isToolError(e)) throw e;
    code = -1;
    text = e.message;
  }
  const dockerdOk = code === 0;
  const messages = [...(dockerdOk ? [] : [text || `dockerd --validate exited ${code}`]), ...ours];
  return { ok: messages.length === 0, by: 'dockerd', message: messages.length ? messages.join('; ') : (text || 'configuration OK'), findings };
}
