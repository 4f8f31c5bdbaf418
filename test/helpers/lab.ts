// ava helper: a real lab (namespaces + dockerd) per test, driven through the built dist/docker-ipv6,
// always torn down with t.teardown, also when the test fails. Run `npm run build` first (npm test does).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { withoutNodeModules } from '../../src/lab/daemon';
import { labExecEnv } from '../../src/lab/env';
import type { LabRecord } from '../../src/lab/record';
import type { RunContext } from '../../src/cli/context';
import { inNetns } from '../../src/lab/topology';

export const REPO = join(__dirname, '../..');
export const CLI = join(REPO, 'dist/docker-ipv6');

/**
 * A folder whose only file is a `node` that fails loudly (exit 97). It goes first on PATH for every run of
 * the shipped executable, so a run that reached for Node.js on PATH fails: /usr/bin/node cannot simply be
 * left out of PATH here (the docker CLI, ip, nsenter live beside it), and a folder of links to everything
 * but node would miss programs installed later. The executable itself is run by path, never by node.
 */
export const NO_NODE_DIR = join(REPO, 'test/helpers/no-node');

/** env with NO_NODE_DIR first on its PATH. */
export function withoutNode(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PATH: `${NO_NODE_DIR}:${env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'}` };
}

export interface Result { code: number; stdout: string; stderr: string }

export interface RunOptions { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }

/** Run a program and collect its output; never throws on a non-zero exit (tests assert on code). */
export function capture(argv: readonly string[], opts: RunOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 180_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }));
    child.stdin.on('error', () => { /* the program exited without reading its input */ });
    child.stdin.end(opts.input ?? '');
  });
}

/** The built executable, run directly with no `node` reachable on PATH. */
export function cli(args: readonly string[], opts: RunOptions = {}): Promise<Result> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  return capture([CLI, ...args], { ...opts, env: withoutNode(opts.env ?? process.env) });
}

export function uniqueName(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Where `systemctl enable docker-ipv6-boot.service` puts its link, relative to the lab's tool root. */
export const BOOT_UNIT_LINK = 'etc/systemd/system/docker.service.requires/docker-ipv6-boot.service';

export interface LabOptions {
  /** "20" (system dockerd), "26", "28" or "29" (from scripts/fetch-docker.sh); default: the system one. */
  docker?: string;
  /** Docker 29+: "iptables" or "nftables", written into the lab's daemon.json (`lab up --firewall-backend`). */
  firewallBackend?: string;
  dockerd?: string;
  /** daemon.json content; an object is serialised. */
  daemonJson?: string | object;
  /** Name prefix (a random suffix is always added). */
  prefix?: string;
  /** `lab up --join`: a second host on that lab's upstream link */
  join?: string;
  /** with join: `lab up --swarm` (that lab a Swarm manager, this host a worker) */
  swarm?: boolean;
}

export interface Lab {
  name: string;
  dir: string;
  record: LabRecord;
  socket: string;
  /** The built docker-ipv6 inside the lab host, with the env `lab exec` gives. */
  exec(args: readonly string[], opts?: RunOptions): Promise<Result>;
  /** The docker CLI against the lab's daemon, inside the lab host. */
  docker(args: readonly string[], opts?: RunOptions): Promise<Result>;
  /** Any command in the upstream router namespace. */
  upstream(args: readonly string[], opts?: RunOptions): Promise<Result>;
  /** Any command in the lab host namespace, with the caller's env (plus opts.env) and no DOCKER_HOST. */
  host(args: readonly string[], opts?: RunOptions): Promise<Result>;
  /** A `docker-ipv6 lab ...` subcommand for this lab, e.g. lab(['restart']). */
  lab(args: readonly string[], opts?: RunOptions): Promise<Result>;
  /** A command line as a person pastes it into a shell on the lab host (`sh -c`, with the env `lab exec` gives). */
  shell(cmd: string, opts?: RunOptions): Promise<Result>;
}

function plainEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_IPV6_CONFIG_FILE', 'DOCKER_IPV6_ROOT', 'DOCKER_IPV6_DOCKERD', 'DOCKER_IPV6_RESTART_COMMAND']) delete env[k];
  // a host's PATH: npm puts node_modules/.bin first, where ava's @vercel/nft is an "nft" that is not nftables
  env.PATH = withoutNodeModules(env.PATH ?? '');
  return { ...env, ...extra };
}

/** A RunContext with just what the lab engine uses, for the teardown fallback below. */
function quietContext(): RunContext {
  return { requireRoot() { /* tests run as root */ }, note() { /* quiet */ }, globals: { verbose: false } } as unknown as RunContext;
}

/**
 * `lab down` through the built CLI; when that fails (or dist/ vanished under a concurrent build),
 * the source engine removes the lab anyway, so no test leaks namespaces, and the test still fails.
 */
export async function labDownSafely(name: string): Promise<void> {
  let problem: string;
  try {
    const r = await cli(['lab', 'down', name]);
    if (r.code === 0) return;
    problem = `lab down ${name} failed (${r.code}): ${r.stderr}`;
  } catch (e) {
    problem = `lab down ${name} could not run: ${(e as Error).message}`;
  }
  const { labDown } = await import('../../src/lab/down');
  await labDown(quietContext(), name, { quiet: true });
  throw new Error(problem);
}

/** Bring a lab up (torn down at test end, pass or fail) and hand it to fn. */
export async function withLab<T>(t: ExecutionContext, opts: LabOptions, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const name = uniqueName(opts.prefix ?? 't');
  // registered before `up`, so a half-built lab is removed too
  t.teardown(() => labDownSafely(name));
  const args = ['lab', 'up', name, '--json'];
  if (opts.docker) args.push('--docker', opts.docker);
  if (opts.dockerd) args.push('--dockerd', opts.dockerd);
  if (opts.firewallBackend) args.push('--firewall-backend', opts.firewallBackend);
  if (opts.join) args.push('--join', opts.join);
  if (opts.swarm) args.push('--swarm');
  if (opts.daemonJson !== undefined) args.push('--daemon-json', typeof opts.daemonJson === 'string' ? opts.daemonJson : JSON.stringify(opts.daemonJson));
  const up = await cli(args);
  if (up.code !== 0) throw new Error(`lab up ${name} failed (${up.code}):\n${up.stderr}`);
  const record = JSON.parse(up.stdout) as LabRecord;
  // a lab host is one with the units installed and enabled (`install --enable`): doctor finds the boot unit's
  // link (RequiredBy=docker.service); a test of the host without it removes the link (BOOT_UNIT_LINK)
  const bootLink = join(record.toolRoot, BOOT_UNIT_LINK);
  mkdirSync(dirname(bootLink), { recursive: true });
  symlinkSync('/etc/systemd/system/docker-ipv6-boot.service', bootLink);
  const inHost = (argv: readonly string[], env: NodeJS.ProcessEnv, o: RunOptions) => capture(inNetns(record.namespaces.host, argv), { ...o, env: { ...env, ...o.env } });
  const lab: Lab = {
    name,
    dir: record.dir,
    record,
    socket: record.dockerd.socket,
    exec: (a, o = {}) => inHost([CLI, ...a], withoutNode(labExecEnv(record, process.env, CLI)), o),
    docker: (a, o = {}) => inHost(['docker', ...a], withoutNode(labExecEnv(record, process.env, CLI)), o),
    upstream: (a, o = {}) => capture(inNetns(record.namespaces.upstream, a), { ...o, env: plainEnv(o.env) }),
    host: (a, o = {}) => inHost(a, plainEnv(), o),
    lab: (a, o = {}) => cli(['lab', a[0], name, ...a.slice(1)], o),
    shell: (cmd, o = {}) => inHost(['sh', '-c', cmd], withoutNode(labExecEnv(record, process.env, CLI)), o),
  };
  return fn(lab);
}

/** Stops an agent the test started in the background with the command the tool prints (its pid from its status file). */
export function killLabAgent(lab: Lab): void {
  try { process.kill(JSON.parse(readFileSync(join(lab.record.toolRoot, 'var/lib/docker-ipv6/agent.json'), 'utf8')).pid, 'SIGKILL'); } catch { /* not started, or gone */ }
}
