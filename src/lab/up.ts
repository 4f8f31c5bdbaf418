// `lab up`: namespaces, links, a dockerd with its own dirs, and the busybox image; undone on failure.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunContext } from '../cli/context';
import { UsageError } from '../errors';
import { dockerdArgs, startDockerd } from './daemon';
import { labDown } from './down';
import { importBusyboxImage, LAB_IMAGE } from './image';
import { swarmInit, swarmJoin } from './api';
import { ensureLabDir, hostAddresses, LAB_ADDRESSES, labDir, listLabNames, namespacesFor, readRecord, requireRecord, validateLabName, writeRecord, type LabRecord } from './record';
import { createTopology, joinTopology, netnsExists } from './topology';

/** The next free host number on an owner's link (its own host is 0). */
function nextHostNumber(owner: string): number {
  let n = 0;
  for (const l of listLabNames()) {
    try { const r = readRecord(labDir(l)); if (r?.joined?.owner === owner) n = Math.max(n, r.joined.n); } catch { /* a broken record holds no number */ }
  }
  return n + 1;
}
import { chooseDockerd } from './versions';

export interface UpOptions {
  name?: string;
  docker?: string;
  dockerd?: string;
  daemonJson?: string;
  /** Docker 29+'s firewall backend, written into the lab's daemon.json ("iptables" is Docker's default). */
  firewallBackend?: string;
  /** Leave a failed lab in place for inspection (`lab down` removes it later). */
  keep?: boolean;
  /** Share this lab's upstream link (a second host on the same link: 2001:db8:1::3, 192.0.2.3, ...). */
  join?: string;
  /** With join: make the owner a Swarm manager (once) and this host a worker. */
  swarm?: boolean;
}

/** Enough IPv4 pools for 100+ user networks (Docker's defaults run out after ~31). */
export const DEFAULT_DAEMON_JSON = `${JSON.stringify({ 'default-address-pools': [{ base: '10.128.0.0/9', size: 24 }] }, null, 2)}\n`;

export function randomLabName(): string {
  return `dl6-${randomBytes(4).toString('hex')}`;
}

/**
 * The lab's daemon.json with `firewall-backend` set. The nftables backend refuses to start while IPv4 forwarding
 * is off (measured on 29.7.2), so such a lab is a host whose admin turned it on: the lab does that in the host
 * namespace (IPv4 only; IPv6 forwarding stays the tool's business).
 */
export function withFirewallBackend(text: string, backend: string | undefined): string {
  if (backend === undefined) return text;
  if (backend !== 'iptables' && backend !== 'nftables') throw new UsageError(`--firewall-backend must be iptables or nftables, got "${backend}"`);
  return `${JSON.stringify({ ...JSON.parse(text), 'firewall-backend': backend }, null, 2)}\n`;
}

function checkDaemonJson(text: string): string {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) {
    throw new UsageError(`--daemon-json is not valid JSON: ${(e as Error).message}`, `example: --daemon-json '{"ipv6": true, "fixed-cidr-v6": "fd00:1::/64"}'`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError('--daemon-json must be a JSON object');
  return text.endsWith('\n') ? text : `${text}\n`;
}

export async function labUp(ctx: RunContext, opts: UpOptions): Promise<LabRecord> {
  ctx.requireRoot('lab up');
  const name = validateLabName(opts.name ?? randomLabName());
  const daemonJson = withFirewallBackend(opts.daemonJson === undefined ? DEFAULT_DAEMON_JSON : checkDaemonJson(opts.daemonJson), opts.firewallBackend);
  const choice = await chooseDockerd({ docker: opts.docker, dockerd: opts.dockerd });
  if (opts.firewallBackend && !/^(2[9]|[3-9]\d)\./.test(choice.binaryVersion)) {
    throw new UsageError(`--firewall-backend needs Docker 29 or later (this dockerd is ${choice.binaryVersion})`, 'use --docker 29');
  }
  if (opts.swarm && !opts.join) throw new UsageError('--swarm joins the Swarm of the lab named by --join', 'example: docker ipv6 lab up b --join a --swarm');
  const owner = opts.join ? requireRecord(opts.join) : undefined;
  if (owner?.joined) throw new UsageError(`lab ${owner.name} itself joined lab ${owner.joined.owner}`, `join the lab that owns the link: --join ${owner.joined.owner}`);
  if (owner && !netnsExists(owner.namespaces.upstream)) throw new UsageError(`lab ${owner.name} has no upstream namespace`, `rebuild it: docker ipv6 lab down ${owner.name} && docker ipv6 lab up ${owner.name}`);
  const dir = labDir(name);
  const ns = owner ? { upstream: owner.namespaces.upstream, host: namespacesFor(name).host } : namespacesFor(name);
  if (existsSync(dir) || (!owner && netnsExists(ns.upstream)) || netnsExists(ns.host)) {
    throw new UsageError(`lab "${name}" exists already`, `remove it first: docker ipv6 lab down ${name}`);
  }
  // unix socket paths are limited to 107 bytes; dockerd's containerd puts its longest one here
  const longest = join(dir, 'exec/containerd/containerd.sock.ttrpc');
  if (Buffer.byteLength(longest) > 107) {
    throw new UsageError(`lab folder ${dir} is too deep for unix socket paths (${longest})`, 'set DOCKER_IPV6_LAB_BASE to a short folder owned by root, e.g. /run/d6labs');
  }
  ensureLabDir(dir);
  const d = {
    configFile: join(dir, 'daemon.json'), dataRoot: join(dir, 'data'), execRoot: join(dir, 'exec'),
    pidFile: join(dir, 'dockerd.pid'), socket: join(dir, 'docker.sock'),
  };
  const n = owner ? nextHostNumber(owner.name) : 0;
  const rec: LabRecord = {
    name, dir, createdAt: new Date().toISOString(), namespaces: ns, addresses: owner ? hostAddresses(n) : LAB_ADDRESSES,
    ...(owner ? { joined: { owner: owner.name, n } } : {}),
    docker: choice.docker,
    ...(opts.firewallBackend ? { firewallBackend: opts.firewallBackend } : {}),
    dockerd: { path: choice.path, pathDirs: choice.pathDirs, binaryVersion: choice.binaryVersion, args: dockerdArgs(d), log: join(dir, 'dockerd.log'), ...d },
    toolRoot: join(dir, 'root'), image: LAB_IMAGE,
  };
  // recorded before anything is built, so `lab down` finds every piece after any failure
  await writeRecord(rec);
  try {
    // the tool's root, with the /var/lib every host has (an agent in a container binds it); never group-writable
    mkdirSync(join(rec.toolRoot, 'var/lib'), { recursive: true, mode: 0o755 });
    writeFileSync(d.configFile, daemonJson, { flag: 'wx', mode: 0o644 });
    if (owner) await joinTopology(ns.host, ns.upstream, n, rec.addresses, { ipv4Forwarding: opts.firewallBackend === 'nftables' });
    else await createTopology(ns, { ipv4Forwarding: opts.firewallBackend === 'nftables' });
    ctx.note(`lab ${name}: starting dockerd ${choice.binaryVersion} (${choice.path})`);
    const started = await startDockerd(rec, 60_000, (m) => ctx.note(m));
    rec.dockerd.pid = started.pid;
    rec.dockerd.version = started.version;
    rec.dockerd.apiVersion = started.apiVersion;
    await writeRecord(rec);
    await importBusyboxImage(d.socket, join(dir, 'image'));
    if (owner && opts.swarm) {
      await swarmInit(owner.dockerd.socket, owner.addresses.host4);
      await swarmJoin(d.socket, { socket: owner.dockerd.socket, address: owner.addresses.host4 }, rec.addresses.host4);
      ctx.note(`lab ${name}: joined the Swarm of lab ${owner.name} (manager ${owner.addresses.host4})`);
    }
  } catch (e) {
    if (!opts.keep) {
      ctx.note(`lab ${name}: bringing it up failed; removing what was built`);
      await labDown(ctx, name, { quiet: true }).catch((e2) => ctx.note(`lab ${name}: cleanup failed too: ${(e2 as Error).message}`));
    } else ctx.note(`lab ${name}: kept for inspection; remove it with: docker ipv6 lab down ${name}`);
    throw e;
  }
  return rec;
}
