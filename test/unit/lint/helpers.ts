// A RunContext with captured output and a temp root, and fake outside effects for runLint.
import { PassThrough, Writable } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunContext } from '../../../src/cli/context';
import { resolveGlobals } from '../../../src/cli/globals';
import type { LintDeps } from '../../../src/lint/lint';
import type { HostNetwork } from '../../../src/lint/types';

export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void { this.text += String(chunk); cb(); }
}

export function fakeContext(root = mkdtempSync(join(tmpdir(), 'lint-root-'))) {
  const out = new Capture();
  const err = new Capture();
  const ctx = new RunContext(resolveGlobals({ root, restartCommand: 'true' }, {}), { hosts: [] } as any, {}, out, err);
  return { ctx, out, err, root };
}

export function fakeDeps(opts: { host?: HostNetwork[] | string; stdin?: string; writes?: Map<string, string> } = {}): LintDeps {
  const stdin = new PassThrough();
  stdin.end(opts.stdin ?? '');
  return {
    stdin,
    fetchHost: async () => (typeof opts.host === 'string' || opts.host === undefined
      ? { ok: false, reason: opts.host ?? 'no daemon in this test' }
      : { ok: true, networks: opts.host }),
    writeFile: async (p, text) => { opts.writes?.set(p, text); },
    random: () => Buffer.from([0x12, 0x34, 0x56, 0x78, 0x9a]),
    version: '0.0.0-test',
    cwd: process.cwd(),
  };
}
