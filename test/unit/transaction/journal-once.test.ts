// journalOnce (renumbering's hot path): every record is on disk before the first change, in one write; success
// removes the journal without writing it again; a failure undoes the steps that started only; a kill -9 leaves
// the one journal, which recovery undoes in full.
import test from 'ava';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RolledBackError } from '../../../src/errors';
import { readJournal } from '../../../src/transaction/journal';
import { recoverJournal } from '../../../src/transaction/recover';
import { runTransaction, type Step } from '../../../src/transaction/transaction';
import { fileLogRegistry, withTmp, writeFileStep } from './fakes';
import { child, until } from './spawn-child';

const undoLog = (dir: string) => (existsSync(join(dir, 'undo.log')) ? readFileSync(join(dir, 'undo.log'), 'utf8').trim().split('\n') : []);

/** A step that changes nothing and reports the journal on disk as it finds it when it runs. */
function look(id: string, journalPath: string, seen: Array<{ inode: number; entries: string[] }>): Step {
  return {
    id, describe: 'look at the journal',
    async apply() {
      const j = await readJournal(journalPath);
      seen.push({ inode: statSync(journalPath).ino, entries: (j?.entries ?? []).map((e) => `${e.stepId}:${e.state}:${e.record ? String((e.record as { path?: string }).path).split('/').pop() : '-'}`) });
    },
  };
}

test.serial('journalOnce: all records are journaled before the first change, in one write; success removes the journal', async (t) => {
  await withTmp(async (dir) => {
    const journalPath = join(dir, 'journal.json');
    writeFileSync(join(dir, 'a.conf'), 'A0\n');
    const seen: Array<{ inode: number; entries: string[] }> = [];
    const steps = [look('look-0', journalPath, seen), writeFileStep(join(dir, 'a.conf'), 'A1\n'), writeFileStep(join(dir, 'b.conf'), 'B1\n'), look('look-1', journalPath, seen)];
    const res = await runTransaction(steps, { journalPath, registry: fileLogRegistry(dir), journalOnce: true });
    t.deepEqual(res.applied, steps.map((s) => s.id));
    t.deepEqual(seen[0].entries, ['look-0:applying:-', 'write-a.conf:applying:a.conf', 'write-b.conf:applying:b.conf', 'look-1:applying:-'], 'every record on disk before the first step runs');
    t.is(seen[1].inode, seen[0].inode, 'not written again between the steps (an atomic write would be a new file)');
    t.deepEqual(seen[1].entries, seen[0].entries);
    t.false(existsSync(journalPath));
    t.is(readFileSync(join(dir, 'a.conf'), 'utf8'), 'A1\n');
    t.deepEqual(undoLog(dir), []);
  });
});

test.serial('journalOnce: a failure undoes the failed step and those before it, not the ones that never started', async (t) => {
  await withTmp(async (dir) => {
    const journalPath = join(dir, 'journal.json');
    writeFileSync(join(dir, 'a.conf'), 'A0\n');
    writeFileSync(join(dir, 'c.conf'), 'C0\n');
    const half: Step = { ...writeFileStep(join(dir, 'b.conf'), 'B1\n'), async apply() { writeFileSync(join(dir, 'b.conf'), 'B-half'); throw new Error('ip6tables-restore: line 3 failed'); } };
    const steps = [writeFileStep(join(dir, 'a.conf'), 'A1\n'), half, writeFileStep(join(dir, 'c.conf'), 'C1\n')];
    const err = await t.throwsAsync(runTransaction(steps, { journalPath, registry: fileLogRegistry(dir), journalOnce: true }), { instanceOf: RolledBackError });
    t.regex(err!.message, /line 3 failed/);
    t.deepEqual(undoLog(dir), ['undo b.conf', 'undo a.conf'], 'c.conf never started: its record is not undone');
    t.is(readFileSync(join(dir, 'a.conf'), 'utf8'), 'A0\n');
    t.false(existsSync(join(dir, 'b.conf')), 'the half-made change is undone too (its record was journaled before it began)');
    t.is(readFileSync(join(dir, 'c.conf'), 'utf8'), 'C0\n');
    t.false(existsSync(journalPath));
  });
});

test('journalOnce, kill -9 mid-transaction: the one journal holds every record and the next run undoes them all', async (t) => {
  await withTmp(async (dir) => {
    writeFileSync(join(dir, 'a.conf'), 'A0\n', { mode: 0o640 });
    const c = child(['run-once', dir]);
    await until('the child to reach its hanging step', () => existsSync(join(dir, 'step-hanging')), c);
    c.proc.kill('SIGKILL');
    t.is((await c.exited).signal, 'SIGKILL');
    t.is(readFileSync(join(dir, 'a.conf'), 'utf8'), 'A1\n', 'the killed run had changed a.conf');
    const j = await readJournal(join(dir, 'journal.json'));
    t.is(j?.status, 'running');
    t.deepEqual(j?.entries.map((e) => e.stepId), ['write-a.conf', 'write-b.conf', 'hang']);
    const report = await recoverJournal(join(dir, 'journal.json'), fileLogRegistry(dir));
    t.true(report.complete);
    t.deepEqual(undoLog(dir), ['undo b.conf', 'undo a.conf']);
    t.is(readFileSync(join(dir, 'a.conf'), 'utf8'), 'A0\n');
    t.false(existsSync(join(dir, 'b.conf')));
    t.false(existsSync(join(dir, 'journal.json')));
  });
});
