// enable and disable finish an interrupted run's rollback first, and stop when that rollback is incomplete.
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { readJournal, writeJournal, type Journal } from '../../../src/transaction/journal';
import { RunContext } from '../../../src/cli/context';
import { resolveGlobals } from '../../../src/cli/globals';
import { runDisable } from '../../../src/enable/disable';
import { runEnable } from '../../../src/enable/enable';
import { RolledBackError } from '../../../src/errors';

class Capture extends Writable {
  text = '';
  override _write(c: Buffer | string, _e: BufferEncoding, cb: () => void): void { this.text += String(c); cb(); }
}

async function setup(undoPath: (root: string) => string) {
  const root = mkdtempSync(join(tmpdir(), 'd6-recovery-'));
  const out = new Capture();
  const err = new Capture();
  // no Docker at this endpoint: a command that goes on past the recovery fails on it, later
  const path = undoPath(root);
  // the journal names the daemon.json in use: recovery refuses records for files this run does not write
  const ctx = new RunContext(resolveGlobals({ root, configFile: path, restartCommand: 'true', yes: true }, {}), { hosts: [] } as never, { DOCKER_HOST: `unix://${root}/no-docker.sock` }, out, err);
  mkdirSync(ctx.paths.stateDir, { recursive: true });
  const journal: Journal = {
    version: 1, command: 'enable', pid: 2 ** 22 + 1, processStart: null, startedAt: '2024-05-01T10:00:00Z', status: 'running',
    entries: [{ stepId: 'write-daemon-json', describe: `write ${path}`, state: 'applied', record: { kind: 'file', path, absent: false, previousText: '{}\n', mode: 0o644 } }],
  };
  await writeJournal(ctx.paths.journalFile, journal);
  return { root, ctx, err, path, done: () => rmSync(root, { recursive: true, force: true }) };
}

// the folder is gone, so the file undo fails (as it would on a read-only /etc)
const unrestorable = (root: string) => join(root, 'gone', 'daemon.json');

for (const [name, run] of [['enable', (ctx: RunContext) => runEnable(ctx, {})], ['disable', (ctx: RunContext) => runDisable(ctx)]] as const) {
  test(`${name}: an incomplete rollback of the interrupted run stops the command, and it does not say "finished"`, async (t) => {
    const s = await setup(unrestorable);
    try {
      const e = await t.throwsAsync(run(s.ctx), { instanceOf: RolledBackError });
      t.regex(e!.message, /an earlier docker ipv6 enable \(pid \d+\) did not finish and its rollback is incomplete/);
      t.true(e!.message.includes(s.path), 'names what could not be restored');
      t.regex((e as RolledBackError).hint ?? '', /fix the items above by hand/);
      t.regex(s.err.text, /did not finish; rolling back its changes first/);
      t.notRegex(s.err.text, /finished the rollback/);
      const j = await readJournal(s.ctx.paths.journalFile);
      t.is(j?.entries[0].state, 'undo-failed', 'the journal stays for the next try');
      t.false(existsSync(s.ctx.paths.lockFile), 'lock released');
    } finally { s.done(); }
  });

  test(`${name}: a complete rollback says "finished" and the command goes on`, async (t) => {
    const s = await setup((root) => join(root, 'daemon.json'));
    writeFileSync(s.path, '{"ipv6": true}\n');
    try {
      // enable goes on and fails later on the missing Docker; disable finds nothing enabled
      const e = await run(s.ctx).then(() => undefined, (x: unknown) => x);
      t.false(e instanceof RolledBackError, String(e));
      t.is(readFileSync(s.path, 'utf8'), '{}\n');
      t.regex(s.err.text, /finished the rollback of an interrupted earlier run first/);
      t.false(existsSync(s.ctx.paths.journalFile));
    } finally { s.done(); }
  });
}
