// doctor --fix and an interrupted run's journal: --dry-run only says it would roll it back (no lock, no
// change); the real run stops when that rollback is incomplete.
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { readJournal, writeJournal, type Journal } from '../../../src/transaction/journal';
import { RunContext } from '../../../src/cli/context';
import { resolveGlobals } from '../../../src/cli/globals';
import { runDoctor } from '../../../src/doctor/doctor';
import { RolledBackError } from '../../../src/errors';

class Capture extends Writable {
  text = '';
  override _write(c: Buffer | string, _e: BufferEncoding, cb: () => void): void { this.text += String(c); cb(); }
}

/** A temp root without daemon.json and no Docker: doctor finds "ipv6 is not set" (a --fix finding). */
async function setup(dryRun: boolean, undoPath: (root: string) => string) {
  const root = mkdtempSync(join(tmpdir(), 'd6-doctor-recovery-'));
  const out = new Capture();
  const err = new Capture();
  const path = undoPath(root);
  // the journal names the daemon.json in use: recovery refuses records for files this run does not write
  const ctx = new RunContext(resolveGlobals({ root, configFile: path, restartCommand: 'true', yes: true, dryRun }, {}), { hosts: [] } as never, { DOCKER_HOST: `unix://${root}/no-docker.sock` }, out, err);
  mkdirSync(ctx.paths.stateDir, { recursive: true });
  const journal: Journal = {
    version: 1, command: 'disable', pid: 2 ** 22 + 1, processStart: null, startedAt: '2024-05-01T10:00:00Z', status: 'running',
    entries: [{ stepId: 'restore-daemon-json', describe: `write ${path}`, state: 'applied', record: { kind: 'file', path, absent: false, previousText: '{}\n', mode: 0o644 } }],
  };
  await writeJournal(ctx.paths.journalFile, journal);
  return { root, ctx, err, path, done: () => rmSync(root, { recursive: true, force: true }) };
}

test('doctor --fix --dry-run never rolls back: it says an interrupted run would be rolled back first, and changes nothing', async (t) => {
  const s = await setup(true, (root) => join(root, 'daemon.json'));
  writeFileSync(s.path, '{"ipv6": true}\n');
  try {
    await runDoctor(s.ctx, { fix: true });
    t.regex(s.err.text, /an interrupted docker ipv6 disable \(pid \d+\) would be rolled back first/);
    t.notRegex(s.err.text, /rolling back its changes first|finished the rollback/);
    t.is(readFileSync(s.path, 'utf8'), '{"ipv6": true}\n', 'the file undo did not run');
    const j = await readJournal(s.ctx.paths.journalFile);
    t.is(j?.status, 'running', 'the journal is untouched');
    t.is(j?.entries[0].state, 'applied');
    t.false(existsSync(s.ctx.paths.lockFile));
  } finally { s.done(); }
});

test('doctor --fix: an incomplete rollback of the interrupted run stops before any fix, and it does not say "finished"', async (t) => {
  const s = await setup(false, (root) => join(root, 'gone', 'daemon.json'));
  try {
    const e = await t.throwsAsync(runDoctor(s.ctx, { fix: true }), { instanceOf: RolledBackError });
    t.regex(e!.message, /an earlier docker ipv6 disable \(pid \d+\) did not finish and its rollback is incomplete/);
    t.notRegex(s.err.text, /finished the rollback|applying \d+ fix/);
    t.is((await readJournal(s.ctx.paths.journalFile))?.entries[0].state, 'undo-failed');
    t.false(existsSync(s.ctx.paths.lockFile), 'lock released');
  } finally { s.done(); }
});

test('doctor --fix: a complete rollback says "finished" and checks the host again', async (t) => {
  const s = await setup(false, (root) => join(root, 'daemon.json'));
  writeFileSync(s.path, '{"ipv6": true}\n');
  try {
    await runDoctor(s.ctx, { fix: true });
    t.regex(s.err.text, /finished the rollback of an interrupted earlier run first/);
    t.is(readFileSync(s.path, 'utf8'), '{}\n');
    t.false(existsSync(s.ctx.paths.journalFile));
  } finally { s.done(); }
});
