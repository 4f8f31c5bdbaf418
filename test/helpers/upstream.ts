// What the upstream side of a lab sees: the source address a connection from the lab host (or a container on it)
// arrives with at the stand-in internet host, the proof of NAT66, routed and NPTv6 egress.
import { spawn } from 'node:child_process';
import type { Lab } from './lab';

/**
 * A TCP listener in the upstream namespace on the stand-in internet address (the lab's internet6) that reports the
 * peer address of the first connection; `connect` makes one (from a container), tried up to three times.
 */
export async function peerSeenUpstream(lab: Lab, connect: () => Promise<unknown>, port = 9000): Promise<string> {
  const js = `const s=require('net').createServer(c=>{console.log('peer '+c.remoteAddress);c.end();s.close()});s.listen(${port},'${lab.record.addresses.internet6}',()=>console.log('ready'));setTimeout(()=>process.exit(3),20000)`;
  const child = spawn('nsenter', [`--net=/var/run/netns/${lab.record.namespaces.upstream}`, process.execPath, '-e', js], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  // connect only once the listener is up (a loaded machine may take a while to start node)
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; if (out.includes('ready')) resolve(); });
    child.on('close', () => reject(new Error(`upstream listener exited early: ${out}`)));
  });
  for (let i = 0; i < 3 && !out.includes('peer '); i++) {
    await connect();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
  }
  child.kill();
  await exited;
  return /peer (\S+)/.exec(out)?.[1] ?? '';
}

/**
 * What arrives at a one-shot listener on `port` in the upstream namespace while `send` runs (a container's nc).
 * The window is the send itself, however long a loaded machine takes to start it (`docker exec`), not a fixed
 * timer: once `send` is done the listener is closed by a marker from the upstream's own loopback. A fixed 3-4 s
 * window once closed before a slow exec's data came (a failed control), and could let an exfiltration that came
 * late go unseen.
 */
export async function receivedUpstream(lab: Lab, port: string, send: () => Promise<unknown>): Promise<string> {
  const listen = lab.upstream(['timeout', '60', 'busybox', 'nc', '-l', '-p', port]);
  await new Promise((r) => setTimeout(r, 300));
  try {
    await send();
  } finally {
    await new Promise((r) => setTimeout(r, 300));
    // the listener takes one connection: the marker only ends a listener nothing reached (refused otherwise)
    await lab.upstream(['sh', '-c', `echo closed-by-test | busybox nc -w1 ::1 ${port} || true`]).catch(() => undefined);
  }
  return (await listen).stdout;
}
