// A RunContext for engine tests: --root at a fresh temp folder, a local endpoint, output captured, and the fake host injected.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { RunContext } from '../../src/cli/context';
import { resolveGlobals } from '../../src/cli/globals';
import type { HostSnapshot } from '../../src/observe/snapshot';
import { snapshot } from '../helpers/snapshot';
import { fakeHost, type FakeHost } from './host';

export class Capture extends Writable {
  text = '';
  override _write(c: Buffer | string, _e: BufferEncoding, cb: () => void): void { this.text += String(c); cb(); }
}

export interface FakeRun {
  root: string;
  ctx: RunContext;
  fake: FakeHost;
  /** the snapshot the fakes were built from, daemon.json moved under the root */
  snap: HostSnapshot;
  out: Capture;
  err: Capture;
  cleanup(): void;
}

/** `snap` defaults to test/helpers/snapshot; its daemon.json path is moved to <root>/etc/docker/daemon.json. */
export function fakeRun(over: Partial<HostSnapshot> = {}): FakeRun {
  const root = mkdtempSync(join(tmpdir(), 'd6-fakes-'));
  const base = snapshot(over);
  const snap: HostSnapshot = { ...base, daemonConfig: { ...base.daemonConfig, path: join(root, 'etc/docker/daemon.json') } };
  const fake = fakeHost({ root, snap, daemonJsonPath: snap.daemonConfig.path });
  const out = new Capture();
  const err = new Capture();
  const ctx = new RunContext(
    resolveGlobals({ root, restartCommand: 'systemctl restart docker.service', yes: true }, {}),
    { hosts: [] } as never,
    { DOCKER_HOST: 'unix:///var/run/docker.sock' },
    out, err,
  ).withHost(fake.host);
  // the lock makes it in a real run, before any step
  mkdirSync(ctx.paths.stateDir, { recursive: true });
  return { root, ctx, fake, snap, out, err, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
