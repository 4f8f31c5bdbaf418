// Where labs live and what lab.json records, so down/status/exec/restart work from any process.
//
// lab.json names the dockerd that `lab restart` runs as root, with its arguments: labs live under /run
// (root's, gone at reboot like the namespaces they describe) and every folder and record is checked before
// use (host/trust.ts), also under a DOCKER_IPV6_LAB_BASE override, so no other user decides what root runs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError, UsageError } from '../errors';
import { replaceFile } from '../host/files';
import { assertTrusted, ensureTrustedDir } from '../host/trust';

export const LAB_ADDRESSES = {
  linkPrefix6: '2001:db8:1::/64',
  upstream6: '2001:db8:1::1',
  host6: '2001:db8:1::2',
  linkPrefix4: '192.0.2.0/24',
  upstream4: '192.0.2.1',
  host4: '192.0.2.2',
  /** The stand-in "internet" host, held by a veth end inside the upstream namespace. */
  internet6: '2001:db8:ffff::100',
  internet4: '198.51.100.100',
} as const;

/** A lab's addresses: LAB_ADDRESSES, with the host's own two set per host when labs share one upstream link. */
export type LabAddresses = { [K in keyof typeof LAB_ADDRESSES]: string };

/** The n-th host on a shared upstream link (0: the lab that owns the upstream): 2001:db8:1::2, ::3, ... */
export function hostAddresses(n: number): LabAddresses {
  if (!Number.isInteger(n) || n < 0 || n > 200) throw new UsageError(`too many lab hosts on one upstream link (${n + 1})`, 'at most 201 lab hosts share one upstream');
  return { ...LAB_ADDRESSES, host6: `2001:db8:1::${(n + 2).toString(16)}`, host4: `192.0.2.${n + 2}` };
}

export interface LabRecord {
  name: string;
  dir: string;
  createdAt: string;
  namespaces: { upstream: string; host: string };
  addresses: LabAddresses;
  /** `lab up --join OWNER`: this host sits on OWNER's upstream link (namespaces.upstream is OWNER's), host number n there */
  joined?: { owner: string; n: number };
  /** The version asked for ("20", "26", "28", "29") or "custom" for --dockerd. */
  docker: string;
  /** `--firewall-backend` given at `lab up` (Docker 29+), as written into its daemon.json. */
  firewallBackend?: string;
  dockerd: {
    path: string;
    /** Folders put first on PATH for this dockerd (docker-init, docker-proxy beside it). */
    pathDirs: string[];
    /** Version printed by `dockerd --version`, e.g. 26.1.5+dfsg1. */
    binaryVersion: string;
    /** Version the running daemon reports over the API (set once it answered). */
    version?: string;
    apiVersion?: string;
    args: string[];
    pid?: number;
    pidFile: string;
    socket: string;
    configFile: string;
    log: string;
    dataRoot: string;
    execRoot: string;
  };
  /** DOCKER_IPV6_ROOT for commands run through `lab exec`. */
  toolRoot: string;
  image: string;
}

export const DEFAULT_LAB_BASE = '/run/docker-ipv6-labs';

export function labBase(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_IPV6_LAB_BASE || DEFAULT_LAB_BASE;
}

/** Lab names end up in namespace names and paths: keep them short and plain. */
export function validateLabName(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name)) {
    throw new UsageError(`invalid lab name "${name}"`, 'use 1-31 characters: lower-case letters, digits and "-", e.g. demo');
  }
  return name;
}

/** The lab's folder, once it (or what exists of it, from / down) is found trustworthy; a PreconditionError otherwise. */
export function labDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = join(labBase(env), validateLabName(name));
  assertTrusted(dir, 'the lab folder');
  return dir;
}

export function namespacesFor(name: string): { upstream: string; host: string } {
  return { upstream: `${name}-up`, host: `${name}-host` };
}

export function recordPath(dir: string): string {
  return join(dir, 'lab.json');
}

export async function writeRecord(rec: LabRecord): Promise<void> {
  await replaceFile(recordPath(rec.dir), `${JSON.stringify(rec, null, 2)}\n`, { mode: 0o644 });
}

/** The lab's record, or undefined when there is no lab.json (never created or half removed). */
export function readRecord(dir: string): LabRecord | undefined {
  const file = recordPath(dir);
  if (!existsSync(file)) return undefined;
  assertTrusted(file, 'the lab record');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LabRecord;
  } catch (e) {
    throw new ConfigError(`cannot read ${file}: ${(e as Error).message}`, `remove the lab: docker ipv6 lab down ${basename(dir)}`);
  }
}

export function requireRecord(name: string, env: NodeJS.ProcessEnv = process.env): LabRecord {
  const r = readRecord(labDir(name, env));
  if (!r) throw new UsageError(`no lab named "${name}"`, 'list labs with: docker ipv6 lab status');
  return r;
}

export function listLabNames(env: NodeJS.ProcessEnv = process.env): string[] {
  const base = labBase(env);
  assertTrusted(base, 'the lab folder');
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^[a-z0-9][a-z0-9-]{0,30}$/.test(d.name))
    .map((d) => d.name)
    .sort();
}

/** Makes a lab's folder (and the base, 0755) as root's, or refuses when what is there is not. */
export function ensureLabDir(dir: string): void {
  ensureTrustedDir(dir, 0o755, 'the lab folder');
}
