// The daemon.json keys this tool cares about, their dockerd flags, and flag/file conflicts that stop dockerd.
import * as path from 'node:path';

export interface DaemonKey {
  key: string;
  /** Long flag name without dashes (differs from the key for dockerd's "named options"). */
  flag: string;
  short?: string;
  /** A boolean flag takes no separate value (`--ipv6`, `--ipv6=false`). */
  bool: boolean;
  /** First dockerd version that knows the key (older ones refuse the whole file). */
  since?: string;
  /** A key `docker ipv6` itself writes. */
  ours?: boolean;
}

/** Keys that matter for IPv6 and the bridge. Versions are stated only where checked against moby's history. */
export const DAEMON_KEYS: readonly DaemonKey[] = [
  { key: 'ipv6', flag: 'ipv6', bool: true, ours: true },
  { key: 'fixed-cidr-v6', flag: 'fixed-cidr-v6', bool: false, ours: true },
  { key: 'ip6tables', flag: 'ip6tables', bool: true, since: '20.10', ours: true },
  { key: 'experimental', flag: 'experimental', bool: true, ours: true },
  { key: 'default-address-pools', flag: 'default-address-pool', bool: false, ours: true },
  { key: 'iptables', flag: 'iptables', bool: true },
  { key: 'ip-forward', flag: 'ip-forward', bool: true },
  { key: 'ip-masq', flag: 'ip-masq', bool: true },
  { key: 'userland-proxy', flag: 'userland-proxy', bool: true },
  { key: 'icc', flag: 'icc', bool: true },
  { key: 'bip', flag: 'bip', bool: false },
  { key: 'fixed-cidr', flag: 'fixed-cidr', bool: false },
  { key: 'bridge', flag: 'bridge', short: 'b', bool: false },
  { key: 'default-gateway-v6', flag: 'default-gateway-v6', bool: false },
  { key: 'ip', flag: 'ip', bool: false },
  // written by enable when the uplink's MTU is below Docker's 1500
  { key: 'mtu', flag: 'mtu', bool: false, ours: true },
  { key: 'hosts', flag: 'host', short: 'H', bool: false },
  { key: 'data-root', flag: 'data-root', bool: false },
  { key: 'exec-root', flag: 'exec-root', bool: false },
  { key: 'pidfile', flag: 'pidfile', short: 'p', bool: false },
  { key: 'debug', flag: 'debug', short: 'D', bool: true },
  { key: 'log-level', flag: 'log-level', short: 'l', bool: false },
  { key: 'labels', flag: 'label', bool: false },
  { key: 'dns', flag: 'dns', bool: false },
  { key: 'log-opts', flag: 'log-opt', bool: false },
  { key: 'storage-opts', flag: 'storage-opt', bool: false },
  { key: 'exec-opts', flag: 'exec-opt', bool: false },
  { key: 'insecure-registries', flag: 'insecure-registry', bool: false },
  { key: 'registry-mirrors', flag: 'registry-mirror', bool: false },
];

const BY_FLAG = new Map<string, DaemonKey>();
for (const k of DAEMON_KEYS) { BY_FLAG.set(k.flag, k); if (k.short) BY_FLAG.set(k.short, k); }

/** dockerd flattens nested objects into their keys before comparing with flags, except these (moby config.go flatOptions). */
const FLAT_OPTIONS = new Set(['cluster-store-opts', 'default-network-opts', 'log-opts', 'runtimes', 'default-ulimits', 'features', 'builder']);
/** Keys that may be both a flag and in the file (moby skipDuplicates). */
const SKIP_DUPLICATES = new Set(['runtimes']);

/** The keys dockerd compares with its flags: nested objects contribute their own keys. */
export function configKeysAsDockerdSees(value: Record<string, unknown>): string[] {
  const keys: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !FLAT_OPTIONS.has(k)) keys.push(...Object.keys(v));
    else keys.push(k);
  }
  return keys;
}

export interface FlagConflict {
  key: string;
  /** The flag as written on dockerd's command line. */
  flag: string;
  fix: string;
}

/** The config-file key each flag on dockerd's command line sets (argv[0] is the program). */
export function flagsToKeys(argv: readonly string[]): Array<{ key: string; flag: string }> {
  const out: Array<{ key: string; flag: string }> = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (!a.startsWith('-') || a === '-') continue;
    let name: string;
    let hasValue: boolean;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      hasValue = eq >= 0;
    } else {
      name = a[1];
      hasValue = a.length > 2; // -Hfd:// or -H=fd://
    }
    const known = BY_FLAG.get(name);
    // A flag dockerd does not map specially has a config key of the same name.
    out.push({ key: known ? known.key : name, flag: a.startsWith('--') ? `--${name}` : `-${name}` });
    if (known && !known.bool && !hasValue) i++; // its value is the next word
  }
  return out;
}

/**
 * Keys present both in the file and as a dockerd flag: dockerd refuses to start ("the following
 * directives are specified both as a flag and in the configuration file").
 */
export function findFlagConflicts(configKeys: readonly string[], dockerdArgv: readonly string[], configFile = '/etc/docker/daemon.json'): FlagConflict[] {
  const inFile = new Set(configKeys);
  const seen = new Set<string>();
  const out: FlagConflict[] = [];
  for (const { key, flag } of flagsToKeys(dockerdArgv)) {
    if (!inFile.has(key) || SKIP_DUPLICATES.has(key) || seen.has(key)) continue;
    seen.add(key);
    const ours = DAEMON_KEYS.find((k) => k.key === key)?.ours;
    const fix = ours
      ? `remove ${flag} from dockerd's command line (systemctl edit docker, or DOCKER_OPTS in /etc/default/docker) and keep "${key}" in ${configFile}, where docker ipv6 manages it`
      : `set "${key}" in one place only: remove ${flag} from dockerd's command line or remove "${key}" from ${configFile}`;
    out.push({ key, flag, fix });
  }
  return out;
}

export interface DockerdProcess { pid: number; argv: string[] }

/** The value of a flag in argv (`--config-file X`, `--config-file=X`), last one wins as in pflag. */
export function flagValue(argv: readonly string[], long: string): string | undefined {
  let v: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === `--${long}` && i + 1 < argv.length) v = argv[++i];
    else if (argv[i].startsWith(`--${long}=`)) v = argv[i].slice(long.length + 3);
  }
  return v;
}

/** Every value of a repeatable flag (`-H a -H b`, `--host=a`, `-Ha`), in order. */
export function flagValues(argv: readonly string[], long: string, short?: string): string[] {
  const out: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if ((a === `--${long}` || (short && a === `-${short}`)) && i + 1 < argv.length) out.push(argv[++i]);
    else if (a.startsWith(`--${long}=`)) out.push(a.slice(long.length + 3));
    else if (short && a.startsWith(`-${short}`) && a.length > 2 && !a.startsWith('--')) out.push(a.slice(2).replace(/^=/, ''));
  }
  return out;
}

/** The dockerd processes that read `configFile` (their --config-file, default /etc/docker/daemon.json). */
export function dockerdsFor(processes: readonly DockerdProcess[], configFile: string): DockerdProcess[] {
  const want = path.resolve(configFile);
  return processes.filter((p) => path.resolve(flagValue(p.argv, 'config-file') ?? '/etc/docker/daemon.json') === want);
}

/** The dockerd that reads `configFile`, if exactly one. */
export function pickDockerdFor(processes: readonly DockerdProcess[], configFile: string): DockerdProcess | undefined {
  const matches = dockerdsFor(processes, configFile);
  return matches.length === 1 ? matches[0] : undefined;
}

/** Splits a command line the way systemd and sh do for simple cases: quotes and backslashes. */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1);
      const stop = end < 0 ? s.length : end;
      cur += c === '"' ? s.slice(i + 1, stop).replace(/\\(["\\$`])/g, '$1') : s.slice(i + 1, stop);
      i = stop; inWord = true;
    } else if (c === '\\' && i + 1 < s.length) { cur += s[++i]; inWord = true; }
    else if (/\s/.test(c)) { if (inWord) out.push(cur); cur = ''; inWord = false; }
    else { cur += c; inWord = true; }
  }
  if (inWord) out.push(cur);
  return out;
}

/** argv of a unit's effective ExecStart (an empty `ExecStart=` resets; later files come later in `texts`). */
export function parseExecStart(...texts: string[]): string[] | undefined {
  let argv: string[] | undefined;
  for (const text of texts) {
    for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
      const m = /^\s*ExecStart\s*=\s*(.*)$/.exec(line);
      if (!m) continue;
      const words = splitWords(m[1].replace(/^[-@:+!]+/, ''));
      argv = words.length ? words : undefined;
    }
  }
  return argv;
}

/** The words of DOCKER_OPTS in /etc/default/docker (the last assignment wins). */
export function parseDockerOpts(text: string): string[] {
  let words: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?DOCKER_OPTS=(.*)$/.exec(line);
    if (m) words = splitWords(splitWords(m[1]).join(' '));
  }
  return words;
}
