// How bytes reach a Docker endpoint that is not a unix socket: TCP (plain or TLS) and ssh:// (the system's ssh
// running `docker system dial-stdio` on the remote, as the docker CLI does), as an http.Agent for dockerode.
//
// docker-modem parses a TCP host with Node's legacy url.parse() on every request (DEP0169 warning); handing it
// a socketPath plus this agent keeps it on its unix-socket path, and the agent opens the real connection.
import { spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors';
import type { Endpoint } from '../model/endpoint';

export interface TcpTarget { kind: 'tcp'; host: string; port: number; tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; verify: boolean } }
export interface SshTarget { kind: 'ssh'; argv: string[] }
export type Target = TcpTarget | SshTarget;

/**
 * ssh://[user@]host[:port] -> the argv the docker CLI runs (cli/connhelper: ConnectTimeout=30, no tty,
 * `-l user`, `-p port`, `--`, then the remote command). A path in the URL is refused, as the docker CLI does.
 */
export function sshArgv(url: string): string[] {
  let u: URL;
  try { u = new URL(url); } catch {
    throw new UsageError(`not an ssh URL: ${url}`, 'use ssh://[user@]host[:port], e.g. ssh://root@docker1.example');
  }
  if (u.protocol !== 'ssh:' || !u.hostname) throw new UsageError(`not an ssh URL: ${url}`, 'use ssh://[user@]host[:port]');
  if (u.pathname && u.pathname !== '/') throw new UsageError(`extra path after the host in ${url}`, 'the docker CLI takes no path in an ssh URL: ssh://[user@]host[:port]');
  if (u.password) throw new UsageError(`a password in ${url}`, 'ssh asks for it itself, or use a key (ssh-agent, ~/.ssh/config)');
  const argv = ['ssh', '-o', 'ConnectTimeout=30', '-T'];
  if (u.username) argv.push('-l', decodeURIComponent(u.username));
  if (u.port) argv.push('-p', u.port);
  argv.push('--', u.hostname.replace(/^\[|\]$/g, ''), 'docker', 'system', 'dial-stdio');
  return argv;
}

export function targetOf(ep: Endpoint): Target {
  if (ep.host.startsWith('ssh://')) return { kind: 'ssh', argv: sshArgv(ep.host) };
  if (!ep.host.startsWith('tcp://')) {
    throw new UsageError(`unsupported Docker endpoint ${ep.host} (from ${ep.source})`, 'use unix://, tcp:// or ssh:// (as the docker CLI does on Linux)');
  }
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(ep.host);
  if (!m) throw new UsageError(`cannot read the Docker endpoint ${ep.host} (from ${ep.source})`, 'use tcp://HOST:PORT');
  const tls = ep.tls ? {
    ca: ep.tls.ca ? readFileSync(ep.tls.ca) : undefined,
    cert: ep.tls.cert ? readFileSync(ep.tls.cert) : undefined,
    key: ep.tls.key ? readFileSync(ep.tls.key) : undefined,
    verify: ep.tls.verify,
  } : undefined;
  return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : tls ? 2376 : 2375, tls };
}

/** A child's stdin/stdout as one socket-like stream; its stderr becomes the error when it exits first. */
class ChildStream extends Duplex {
  private stderr = '';
  private exitError?: Error;
  private readonly exited: Promise<void>;
  constructor(argv: readonly string[], env: NodeJS.ProcessEnv) {
    super();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child = child;
    // 'exit' comes before 'close' (which waits for the pipes), so exitError is set by the time this resolves
    this.exited = new Promise((resolve) => { child.on('close', () => resolve()); child.on('error', () => resolve()); });
    child.stdout.on('data', (d: Buffer) => { if (!this.push(d)) child.stdout.pause(); });
    // the end of its output is an error when ssh failed (it prints why on stderr and exits 255)
    child.stdout.on('end', () => { void this.exited.then(() => { if (this.exitError) this.destroy(this.exitError); else this.push(null); }); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { this.stderr = (this.stderr + d).slice(-2000); });
    child.stdin.on('error', () => { /* the exit below says why */ });
    child.on('error', (e: NodeJS.ErrnoException) => {
      this.destroy(e.code === 'ENOENT' ? Object.assign(new Error(`${argv[0]} is not installed (the docker CLI uses it for ssh:// endpoints)`), { code: 'ENOSSH' }) : e);
    });
    child.on('exit', (code, signal) => {
      if (code === 0 || this.destroyed) return;
      const why = this.stderr.trim().split('\n').slice(-2).join(' | ') || (signal ? `killed by ${signal}` : `exit ${code}`);
      // `docker system dial-stdio` needs a docker CLI on the remote host: say so when that is what failed
      this.exitError = Object.assign(new Error(`${argv.slice(0, argv.indexOf('--') + 2).join(' ')} failed: ${why}`), { code: 'ESSH' });
    });
  }
  private readonly child: ReturnType<typeof spawn>;
  // net.Socket methods http calls on its sockets
  setKeepAlive(): this { return this; }
  setNoDelay(): this { return this; }
  setTimeout(ms: number, cb?: () => void): this { if (cb && ms > 0) { const t = setTimeout(cb, ms); t.unref(); this.once('close', () => clearTimeout(t)); } return this; }
  ref(): this { return this; }
  unref(): this { return this; }
  override _read(): void { this.child.stdout?.resume(); }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    // a write that fails (EPIPE) means ssh has gone: its stderr, once it has exited, says why
    this.child.stdin!.write(chunk, (err) => { if (err) void this.exited.then(() => cb(this.exitError ?? err)); else cb(); });
  }
  override _final(cb: (e?: Error | null) => void): void { this.child.stdin!.end(); cb(); }
  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    cb(err);
  }
}

/** The agent dockerode's requests go through for a tcp:// or ssh:// endpoint (one connection per request). */
export class EndpointAgent extends Agent {
  constructor(private readonly target: Target, private readonly env: NodeJS.ProcessEnv = process.env) {
    super({ keepAlive: false });
  }
  override createConnection(): Socket {
    const t = this.target;
    if (t.kind === 'ssh') return new ChildStream(t.argv, this.env) as unknown as Socket;
    if (t.tls) {
      return tlsConnect({ host: t.host, port: t.port, ca: t.tls.ca, cert: t.tls.cert, key: t.tls.key, rejectUnauthorized: t.tls.verify, servername: /^[\d.:]+$/.test(t.host) ? undefined : t.host });
    }
    return netConnect(t.port, t.host);
  }
}
