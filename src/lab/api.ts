// The few Docker Engine API calls the lab makes itself (ping, version, network count, image import),
// over the lab's unix socket with plain node:http: the lab must not depend on a CLI or dockerode version.
import { createReadStream } from 'node:fs';
import { request } from 'node:http';

interface Reply { status: number; body: string }

function call(socket: string, method: string, path: string, timeoutMs: number, body?: NodeJS.ReadableStream | string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: { Host: 'docker', ...headers }, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer on ${socket} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    if (typeof body === 'string') req.end(body);
    else if (body) body.pipe(req);
    else req.end();
  });
}

/** True when the daemon answers /_ping with OK. */
export async function ping(socket: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const r = await call(socket, 'GET', '/_ping', timeoutMs);
    return r.status === 200 && r.body.trim() === 'OK';
  } catch {
    return false;
  }
}

export async function daemonVersion(socket: string, timeoutMs = 5000): Promise<{ version: string; apiVersion: string }> {
  const r = await call(socket, 'GET', '/version', timeoutMs);
  if (r.status !== 200) throw new Error(`GET /version: HTTP ${r.status} ${r.body.trim()}`);
  const v = JSON.parse(r.body) as { Version: string; ApiVersion: string };
  return { version: v.Version, apiVersion: v.ApiVersion };
}

export async function networkCount(socket: string, timeoutMs = 5000): Promise<number> {
  const r = await call(socket, 'GET', '/networks', timeoutMs);
  if (r.status !== 200) throw new Error(`GET /networks: HTTP ${r.status}`);
  return (JSON.parse(r.body) as unknown[]).length;
}

/** `docker import` of a rootfs tarball as repo:tag; Docker streams JSON progress that may carry an error. */
export async function importImage(socket: string, tarPath: string, repo: string, tag: string, changes: string[] = []): Promise<void> {
  const q = new URLSearchParams({ fromSrc: '-', repo, tag });
  for (const c of changes) q.append('changes', c);
  const r = await call(socket, 'POST', `/images/create?${q}`, 120_000, createReadStream(tarPath), { 'Content-Type': 'application/x-tar' });
  const err = /"error(?:Detail)?"\s*:\s*(?:\{"message":)?"([^"]*)"/.exec(r.body)?.[1];
  if (r.status !== 200 || err) throw new Error(`image import failed: HTTP ${r.status} ${err ?? r.body.trim()}`);
}

export async function imageExists(socket: string, ref: string): Promise<boolean> {
  const r = await call(socket, 'GET', `/images/${encodeURIComponent(ref)}/json`, 5000);
  return r.status === 200;
}

async function postJson(socket: string, path: string, value: unknown, timeoutMs = 30_000): Promise<Reply> {
  return call(socket, 'POST', path, timeoutMs, JSON.stringify(value), { 'Content-Type': 'application/json' });
}

/** A Swarm of lab hosts: the owner is its manager (init once), the joining host a worker, both advertising their link address. */
export async function swarmInit(socket: string, advertise: string): Promise<void> {
  const s = await call(socket, 'GET', '/swarm', 5000);
  if (s.status === 200) return; // already a manager
  const r = await postJson(socket, '/swarm/init', { ListenAddr: '0.0.0.0:2377', AdvertiseAddr: advertise });
  if (r.status !== 200) throw new Error(`swarm init: HTTP ${r.status} ${r.body.trim()}`);
}

export async function swarmJoin(socket: string, manager: { socket: string; address: string }, advertise: string): Promise<void> {
  const s = await call(manager.socket, 'GET', '/swarm', 5000);
  if (s.status !== 200) throw new Error(`the manager is not in a swarm: HTTP ${s.status} ${s.body.trim()}`);
  const token = (JSON.parse(s.body) as { JoinTokens: { Worker: string } }).JoinTokens.Worker;
  const r = await postJson(socket, '/swarm/join', { ListenAddr: '0.0.0.0:2377', AdvertiseAddr: advertise, RemoteAddrs: [`${manager.address}:2377`], JoinToken: token });
  if (r.status !== 200) throw new Error(`swarm join: HTTP ${r.status} ${r.body.trim()}`);
}
