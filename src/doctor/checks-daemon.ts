// Daemon checks: reachable, daemon.json parses, no flag conflicts, ip6tables vs experimental, ipv6, fixed-cidr-v6, pools, restart pending (pure).
import { configKeysAsDockerdSees, findFlagConflicts } from '../daemon/keys';
import { needsExperimental } from '../daemon/version';
import { prefixFacts } from '../observe/prefix-facts';
import { classifyV6, hasHostBits, overlaps, parseCidr6 } from '../model/ip';
import { config, dockerVersion, enableFix, finding, ipv6Wanted, nftForwardingMissing, ok, sameCidr, skip } from './derive';
import type { Check, DoctorInput, Finding } from './types';

const L = 'daemon' as const;
const ENABLE = 'docker ipv6 enable';

export const reachable: Check = (i) => {
  const { snap, extra, restartCommand } = i;
  const d = snap.daemon;
  if (d.reachable) return [ok('daemon.reachable', L, `Docker ${d.version} answers at ${snap.endpoint.host}`)];
  const s = extra.socket;
  let why = d.error ?? 'Docker does not answer';
  // the configured restart command is what brings this daemon up (systemctl, service, or the lab's)
  const down = s?.exists === false || /refused|not running/.test(why);
  let fix = down ? `${restartCommand} (then see its log: journalctl -u docker)` : d.hint ?? restartCommand;
  if (s && !s.exists) why = `Docker is not running: the socket ${s.path} does not exist`;
  else if (s && s.exists && !s.accessible) { why = `permission denied on the Docker socket ${s.path}`; fix = 'run as root, or add the user to the docker group: usermod -aG docker $USER'; }
  else if (s && s.exists && !s.isSocket) { why = `${s.path} exists but is not a socket`; fix = `rm ${s.path} && ${restartCommand}`; }
  // a restart cannot work while daemon.json itself keeps dockerd from starting: name what does
  const version = dockerVersion(i);
  if (snap.daemonConfig.error) {
    why += ` (daemon.json does not parse, so dockerd cannot start)`;
    if (down) fix = `fix the syntax of ${snap.daemonConfig.path} first (see daemon.config-parse), then: ${restartCommand}`;
  } else if (down && nftForwardingMissing(i).length) {
    const keys = nftForwardingMissing(i).map((m) => m.key);
    why += ` (Docker's nftables backend refuses to start while ${keys.join(', ')} ${keys.length > 1 ? 'are' : 'is'} 0: see daemon.nft-forwarding)`;
    fix = `${keys.map((k) => `sysctl -w ${k}=1`).join(' && ')}, then: ${restartCommand}`;
  } else if (down && version && config(snap).ip6tables === true && config(snap).experimental !== true && needsExperimental(version)) {
    why += ' ("ip6tables": true without "experimental": true stops this dockerd at start)';
    fix = `${enableFix(i)} (it rewrites those keys for this version and starts Docker), or set "experimental": true in ${snap.daemonConfig.path} by hand, then: ${restartCommand}`;
  }
  return [finding('daemon.reachable', L, 'fail', why, fix)];
};

export const configParses: Check = ({ snap }) => {
  const c = snap.daemonConfig;
  if (c.error) {
    // the parser reports "PATH:LINE:COL: message" like Go's; say it in words
    const m = /:(\d+):(\d+): (.*)$/.exec(c.error);
    const why = m ? `line ${m[1]}, column ${m[2]}: ${m[3]}` : c.error;
    return [finding('daemon.config-parse', L, 'fail', `${c.path} does not parse at ${why}`, `fix the syntax at the position named, then check it: python3 -m json.tool ${c.path}`)];
  }
  return [ok('daemon.config-parse', L, c.exists ? `${c.path} parses` : `${c.path} does not exist (Docker's defaults apply)`)];
};

export const flagConflicts: Check = ({ snap }) => {
  if (!snap.dockerd) return [skip('daemon.flag-conflicts', L, 'no local dockerd process found to compare flags with')];
  if (snap.daemonConfig.error) return [skip('daemon.flag-conflicts', L, 'daemon.json does not parse')];
  const conflicts = findFlagConflicts(configKeysAsDockerdSees(config(snap)), snap.dockerd.argv, snap.daemonConfig.path);
  if (conflicts.length === 0) return [ok('daemon.flag-conflicts', L, `no key of ${snap.daemonConfig.path} is also a dockerd flag`)];
  return conflicts.map((c) => finding('daemon.flag-conflicts', L, 'fail',
    `"${c.key}" is both in daemon.json and a dockerd flag (${c.flag}): dockerd refuses to start with both`, c.fix, undefined, c.key));
};

export const experimental: Check = (i) => {
  const cfg = config(i.snap);
  const v = dockerVersion(i);
  if (cfg.ip6tables !== true) return [ok('daemon.experimental', L, '"ip6tables" is not set to true, so "experimental" is not needed')];
  if (!v) return [skip('daemon.experimental', L, 'the Docker version is unknown')];
  if (!needsExperimental(v) || cfg.experimental === true) return [ok('daemon.experimental', L, `"ip6tables": true is usable on Docker ${v}`)];
  return [finding('daemon.experimental', L, 'fail',
    `"ip6tables": true without "experimental": true on Docker ${v}: dockerd ${i.snap.daemon.reachable ? 'will refuse to start at its next restart' : 'refuses to start'} ("ip6tables rules are only available if experimental features are enabled")`,
    `set "experimental": true in ${i.snap.daemonConfig.path}, then ${i.restartCommand}`, { kind: 'daemon-keys', set: { experimental: true } })];
};

export const ipv6On: Check = (i) => {
  const cfg = config(i.snap);
  if (cfg.ipv6 === true) return [ok('daemon.ipv6', L, '"ipv6": true in daemon.json')];
  const bridge = i.snap.networks.find((n) => n.name === 'bridge');
  const why = cfg.ipv6 === false ? '"ipv6": false in daemon.json' : '"ipv6" is not set in daemon.json';
  // the default bridge is only known while Docker answers; with it down, say what the next start gives
  const effect = !bridge ? 'when dockerd starts, the default bridge gets no IPv6 and containers on it get no IPv6 address'
    : !bridge.enableIPv6 ? 'the default bridge has no IPv6 and containers on it get no IPv6 address'
    : 'the default bridge loses IPv6 at the next restart of dockerd, and containers on it their IPv6 address';
  return [finding('daemon.ipv6', L, 'fail', `${why}: ${effect}`, enableFix(i), { kind: 'enable' })];
};

function fixedCidrProblems(i: DoctorInput, value: unknown): string | undefined {
  if (typeof value !== 'string') return `"fixed-cidr-v6" is ${value === undefined ? 'missing' : `not a string (${JSON.stringify(value)})`}: the default bridge gets no IPv6 subnet`;
  const c = parseCidr6(value);
  if (!c || !value.includes('/')) return `"fixed-cidr-v6": "${value}" is not an IPv6 prefix`;
  if (hasHostBits(value)) return `"fixed-cidr-v6": "${value}" has host bits set`;
  const kind = classifyV6(c);
  if (kind === 'link-local' || kind === 'multicast' || kind === 'loopback' || kind === 'unspecified') return `"fixed-cidr-v6": "${value}" is ${kind} space`;
  if (c.length > 120) return `"fixed-cidr-v6": "${value}" is too long: Docker's IPAM needs /120 or shorter`;
  const own = i.snap.state?.prefix ? parseCidr6(i.snap.state.prefix) : undefined;
  const f = prefixFacts(i.snap, own);
  for (const u of f.uplinkPrefixes) {
    if (overlaps(parseCidr6(u)!, c) && i.snap.state?.mode !== 'ndp') return `"fixed-cidr-v6": "${value}" overlaps the host's own on-link prefix ${u} on ${i.snap.host.uplink}`;
  }
  for (const r of f.hostRoutes) {
    const rc = parseCidr6(r);
    if (rc && overlaps(rc, c) && !f.uplinkPrefixes.includes(r)) return `"fixed-cidr-v6": "${value}" overlaps the host's route to ${r}`;
  }
  for (const d of f.dockerSubnets) {
    if (d.network !== 'bridge' && overlaps(parseCidr6(d.subnet)!, c)) return `"fixed-cidr-v6": "${value}" overlaps Docker network "${d.network}" (${d.subnet})`;
  }
  return undefined;
}

export const fixedCidr: Check = (i) => {
  const cfg = config(i.snap);
  if (cfg.ipv6 !== true) return [skip('daemon.fixed-cidr-v6', L, '"ipv6" is not on')];
  const problem = fixedCidrProblems(i, cfg['fixed-cidr-v6']);
  if (!problem) return [ok('daemon.fixed-cidr-v6', L, `"fixed-cidr-v6": "${String(cfg['fixed-cidr-v6'])}" is a usable prefix`)];
  const fix = enableFix(i);
  return [finding('daemon.fixed-cidr-v6', L, 'fail', problem, fix === ENABLE ? `${ENABLE} (it keeps the saved prefix, keeps a usable hand-set ULA, or picks a ULA that overlaps nothing)` : fix, { kind: 'enable' })];
};

export const pools: Check = (i) => {
  if (!ipv6Wanted(i)) return [skip('daemon.pools', L, 'IPv6 is not enabled for Docker')];
  const p = config(i.snap)['default-address-pools'];
  const v6 = Array.isArray(p) ? p.filter((x) => typeof (x as { base?: unknown })?.base === 'string' && String((x as { base: string }).base).includes(':')) : [];
  if (v6.length) return [ok('daemon.pools', L, `IPv6 address pools: ${v6.map((x) => (x as { base: string }).base).slice(0, 2).join(', ')}${v6.length > 2 ? ', ...' : ''}`)];
  return [finding('daemon.pools', L, 'warn', '"default-address-pools" has no IPv6 pool: `docker network create --ipv6` needs an explicit --subnet, and Compose networks with enable_ipv6 fail', ENABLE, { kind: 'enable' })];
};

/** daemon.json's IPv6 settings differ from what the running daemon shows: it was edited after dockerd started. */
export const restartPending: Check = (i) => {
  const { snap, extra } = i;
  if (!snap.daemon.reachable || snap.daemonConfig.error) return [skip('daemon.restart-pending', L, 'the daemon or its configuration is unavailable')];
  const cfg = config(snap);
  const bridge = snap.networks.find((n) => n.name === 'bridge');
  const diffs: string[] = [];
  if (bridge) {
    const wantV6 = cfg.ipv6 === true;
    if (wantV6 !== bridge.enableIPv6) diffs.push(`"ipv6" is ${wantV6} but the default bridge runs with IPv6 ${bridge.enableIPv6 ? 'on' : 'off'}`);
    const fc = cfg['fixed-cidr-v6'];
    if (wantV6 && bridge.enableIPv6 && typeof fc === 'string' && bridge.ipv6Subnets.length && !bridge.ipv6Subnets.some((s) => sameCidr(s, fc))) {
      diffs.push(`"fixed-cidr-v6" is ${fc} but the default bridge has ${bridge.ipv6Subnets.join(', ')}`);
    }
  }
  if (typeof cfg.experimental === 'boolean' && snap.daemon.experimental !== undefined && cfg.experimental !== snap.daemon.experimental) {
    diffs.push(`"experimental" is ${cfg.experimental} but the daemon runs with experimental ${snap.daemon.experimental}`);
  }
  if (diffs.length === 0) {
    const newer = extra.daemonJsonMtimeMs && extra.dockerdStartedMs && extra.daemonJsonMtimeMs > extra.dockerdStartedMs + 1000;
    return [ok('daemon.restart-pending', L, newer ? 'daemon.json changed after dockerd started, but not in its IPv6 settings' : 'the running daemon uses daemon.json\'s IPv6 settings')];
  }
  // a restart with a file this version refuses would take Docker down: the key first (doctor --fix does both)
  const v = dockerVersion(i);
  const refused = !!v && cfg.ip6tables === true && cfg.experimental !== true && needsExperimental(v);
  const fix = refused ? `set "experimental": true in ${snap.daemonConfig.path} first (see daemon.experimental), then: ${i.restartCommand}` : i.restartCommand;
  return [finding('daemon.restart-pending', L, 'warn', `daemon.json changed but dockerd still runs the old settings: ${diffs.join('; ')}`, fix, { kind: 'restart' })];
};

export const DAEMON_CHECKS: Check[] = [reachable, configParses, flagConflicts, experimental, ipv6On, fixedCidr, pools, restartPending];

export function daemonFindings(i: DoctorInput): Finding[] {
  return DAEMON_CHECKS.flatMap((c) => c(i));
}
