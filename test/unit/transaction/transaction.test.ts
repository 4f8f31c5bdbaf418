// Transaction engine tests. Serial: transactions install process-wide SIGINT/SIGTERM handlers, and some tests emit SIGINT.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PreconditionError, RolledBackError } from '../../../src/errors';
import { describePlan, runTransaction, type Phase, type Step } from '../../../src/transaction/transaction';
import { InterruptGuard, InterruptedError, lastInterrupt } from '../../../src/transaction/signals';
import { writeJournal, type Journal } from '../../../src/transaction/journal';
import { FakeRoutes, FakeSysctl, addRouteStep, failingStep, setSysctlStep, testRegistry, withTmp } from './fakes';

const FWD = 'net.ipv6.conf.all.forwarding';
const RA = 'net.ipv6.conf.eth0.accept_ra';

function world() {
  const sysctl = new FakeSysctl({ [FWD]: '0', [RA]: '1' });
  const routes = new FakeRoutes();
  const undoLog: string[] = [];
  return { sysctl, routes, undoLog, registry: testRegistry(sysctl, routes, undoLog) };
}

test.serial('success: every step applied in order, progress reported, journal removed', async (t) => {
  await withTmp(async (dir) => {
    const w = world();
    const journalPath = join(dir, 'journal.json');
    const progress: string[] = [];
    const steps = [setSysctlStep(w.sysctl, RA, '2'), setSysctlStep(w.sysctl, FWD, '1'), addRouteStep(w.routes, 'fd00:1::/64')];
    const res = await runTransaction(steps, {
      journalPath, registry: w.registry,
      onProgress: (id: string, phase: Phase) => progress.push(`${id}:${phase}`),
    });
    t.deepEqual(res.applied, steps.map((s) => s.id));
    t.deepEqual(w.sysctl.writes, [[RA, '2'], [FWD, '1']]);
    t.true(w.routes.routes.has('fd00:1::/64'));
    t.deepEqual(w.undoLog, []);
    t.false(existsSync(journalPath));
    t.deepEqual(progress.filter((p) => p.startsWith('route')), ['route-fd00:1::/64:apply', 'route-fd00:1::/64:applied']);
    t.is(process.listenerCount('SIGINT'), 0, 'signal handlers removed after the run');
  });
});

test.serial('failure at step k: the k-1 finished steps are undone in reverse and the error lists cause and restores', async (t) => {
  await withTmp(async (dir) => {
    const w = world();
    const journalPath = join(dir, 'journal.json');
    const steps = [
      setSysctlStep(w.sysctl, RA, '2'), setSysctlStep(w.sysctl, FWD, '1'), addRouteStep(w.routes, 'fd00:1::/64'),
      failingStep('restart', 'dockerd did not answer /_ping within 30s'), addRouteStep(w.routes, 'never'),
    ];
    const err = await t.throwsAsync(runTransaction(steps, { journalPath, registry: w.registry }), { instanceOf: RolledBackError });
    t.deepEqual(w.undoLog, ['route fd00:1::/64', `sysctl ${FWD}`, `sysctl ${RA}`]);
    t.is(w.sysctl.values.get(FWD), '0');
    t.is(w.sysctl.values.get(RA), '1');
    t.is(w.routes.routes.size, 0);
    t.regex(err!.message, /^step restart failed: dockerd did not answer \/_ping within 30s/);
    t.regex(err!.message, /rolled back:\n {4}- removed route fd00:1::\/64\n {4}- restored net.ipv6.conf.all.forwarding = 0\n {4}- restored net.ipv6.conf.eth0.accept_ra = 1/);
    t.notRegex(err!.message, /could NOT/);
    t.is(err!.exitCode, 1);
    t.false(existsSync(journalPath));
  });
});

test.serial('an undo that fails is reported with a manual fix, the others still run, the journal stays for a retry', async (t) => {
  await withTmp(async (dir) => {
    const w = world();
    const journalPath = join(dir, 'journal.json');
    const steps = [setSysctlStep(w.sysctl, RA, '2'), setSysctlStep(w.sysctl, FWD, '1'), addRouteStep(w.routes, 'fd00:1::/64'), failingStep('boom', 'boom')];
    const fwdStep = steps[1];
    const origApply = fwdStep.apply.bind(fwdStep);
    fwdStep.apply = async (sig) => { const r = await origApply(sig); w.sysctl.failWrites(FWD); return r; };
    const err = await t.throwsAsync(runTransaction(steps, { journalPath, registry: w.registry }), { instanceOf: RolledBackError });
    t.deepEqual(w.undoLog, ['route fd00:1::/64', `sysctl ${FWD}`, `sysctl ${RA}`]);
    t.is(w.sysctl.values.get(RA), '1', 'later undo still ran');
    t.is(w.routes.routes.size, 0);
    t.regex(err!.message, /could NOT be restored:\n {4}- set net.ipv6.conf.all.forwarding=1: fake sysctl: write to net.ipv6.conf.all.forwarding refused \(EACCES\)\n {8}fix by hand: sysctl -w net.ipv6.conf.all.forwarding=0/);
    t.regex(err!.message, /rolled back:[^]*restored net.ipv6.conf.eth0.accept_ra = 1/);
    t.regex(err!.hint!, /journal.json keeps them/);
    const j = JSON.parse(readFileSync(journalPath, 'utf8')) as Journal;
    t.is(j.status, 'rolling-back');
    t.deepEqual(j.entries.map((e) => e.state), ['undone', 'undo-failed', 'undone', 'applying']);
  });
});

test.serial('a failing verify rolls back that step and the ones before it', async (t) => {
  await withTmp(async (dir) => {
    const w = world();
    const journalPath = join(dir, 'journal.json');
    const fwd = setSysctlStep(w.sysctl, FWD, '1');
    fwd.verify = async () => { throw new Error('the IPv6 default route disappeared'); };
    const after = addRouteStep(w.routes, 'fd00:9::/64');
    const err = await t.throwsAsync(runTransaction([setSysctlStep(w.sysctl, RA, '2'), fwd, after], { journalPath, registry: w.registry }), { instanceOf: RolledBackError });
    t.regex(err!.message, /^the check after set net.ipv6.conf.all.forwarding=1 failed: the IPv6 default route disappeared/);
    t.deepEqual(w.undoLog, [`sysctl ${FWD}`, `sysctl ${RA}`]);
    t.is(w.routes.routes.size, 0, 'the step after the failed check never ran');
    t.is(w.sysctl.values.get(FWD), '0');
  });
});

test.serial('prepare journals the record before apply, so a step that fails half-way is undone too', async (t) => {
  await withTmp(async (dir) => {
    const w = world();
    const journalPath = join(dir, 'journal.json');
    const half: Step = {
      id: 'half', describe: 'set forwarding, then fail',
      prepare: async () => ({ kind: 'sysctl', key: FWD, previous: '0' }),
      apply: async () => {
        const j = JSON.parse(readFileSync(journalPath, 'utf8')) as Journal;
        t.deepEqual(j.entries.at(-1)?.record, { kind: 'sysctl', key: FWD, previous: '0' }, 'record on disk before the change');
        await w.sysctl.write(FWD, '1');
        throw new Error('lost the uplink half-way');
      },
    };
    await t.throwsAsync(runTransaction([half], { journalPath, registry: w.registry }), { instanceOf: RolledBackError });
    t.is(w.sysctl.values.get(FWD), '0');
    t.deepEqual(w.undoLog, [`sysctl ${FWD}`]);
  });
});

test.serial('a step undo closure is preferred in the same process', async (t) => {
  await withTmp(async (dir) => {
    const w = world();
    const calls: string[] = [];
    const s = addRouteStep(w.routes, 'fd00:2::/64');
    s.undo = async (r) => { calls.push(`closure ${String(r.route)}`); w.routes.del(String(r.route)); };
    await t.throwsAsync(runTransaction([s, failingStep('x', 'no')], { journalPath: join(dir, 'j.json'), registry: w.registry }));
    t.deepEqual(calls, ['closure fd00:2::/64']);
    t.deepEqual(w.undoLog, []);
  });
});

test.serial('records must be plain JSON of a registered kind; otherwise the run rolls back', async (t) => {
  await withTmp(async (dir) => {
    const w = world();
    const journalPath = join(dir, 'j.json');
    const unknownKind: Step = { id: 'u', describe: 'unknown kind', apply: async () => ({ kind: 'mystery' }) };
    const e1 = await t.throwsAsync(runTransaction([setSysctlStep(w.sysctl, FWD, '1'), unknownKind], { journalPath, registry: w.registry }));
    t.regex(e1!.message, /kind mystery, which has no registered undo/);
    t.is(w.sysctl.values.get(FWD), '0');
    const notJson: Step = { id: 'n', describe: 'date in record', apply: async () => ({ kind: 'route', when: new Date() as never }) };
    const e2 = await t.throwsAsync(runTransaction([notJson], { journalPath, registry: w.registry }));
    t.regex(e2!.message, /not plain JSON/);
  });
});

test.serial('an unfinished journal blocks a new transaction; a finished one does not', async (t) => {
  await withTmp(async (dir) => {
    const w = world();
    const journalPath = join(dir, 'j.json');
    const base: Journal = { version: 1, command: 'enable', pid: 424242, startedAt: '2024-01-01T00:00:00Z', status: 'running', entries: [] };
    await writeJournal(journalPath, base);
    const err = await t.throwsAsync(runTransaction([setSysctlStep(w.sysctl, FWD, '1')], { journalPath, registry: w.registry }), { instanceOf: PreconditionError });
    t.regex(err!.message, /unfinished docker ipv6 enable \(pid 424242/);
    t.is(w.sysctl.writes.length, 0);
    await writeJournal(journalPath, { ...base, status: 'done' });
    await runTransaction([setSysctlStep(w.sysctl, FWD, '1')], { journalPath, registry: w.registry });
    t.is(w.sysctl.values.get(FWD), '1');
  });
});

test.serial('describePlan lists the steps and runs nothing', (t) => {
  const w = world();
  const plan = describePlan([setSysctlStep(w.sysctl, FWD, '1'), addRouteStep(w.routes, 'fd00:3::/64')]);
  t.deepEqual(plan, [{ id: `sysctl-${FWD}`, describe: `set ${FWD}=1` }, { id: 'route-fd00:3::/64', describe: 'add route fd00:3::/64' }]);
  t.is(w.sysctl.writes.length, 0);
  t.is(w.routes.routes.size, 0);
});

test.serial('SIGINT mid-run: the current step finishes, everything is rolled back, exit code 130', async (t) => {
  await withTmp(async (dir) => {
    const w = world();
    const notes: string[] = [];
    let sawAbort = false;
    const ctrlC: Step = {
      id: 'slow', describe: 'a slow step that gets Ctrl-C',
      async apply(signal) {
        process.emit('SIGINT', 'SIGINT');
        sawAbort = signal.aborted;
        w.routes.add('fd00:4::/64');
        return { kind: 'route', route: 'fd00:4::/64' };
      },
    };
    const later = addRouteStep(w.routes, 'fd00:5::/64');
    const err = await t.throwsAsync(runTransaction([setSysctlStep(w.sysctl, FWD, '1'), ctrlC, later], {
      journalPath: join(dir, 'j.json'), registry: w.registry, log: (l) => notes.push(l),
    }), { instanceOf: InterruptedError });
    t.true(sawAbort);
    t.is(err!.exitCode, 130);
    t.is(lastInterrupt(), 'SIGINT');
    t.regex(err!.message, /^interrupted by SIGINT\n {2}rolled back:/);
    t.deepEqual(w.undoLog, ['route fd00:4::/64', `sysctl ${FWD}`]);
    t.false(w.routes.routes.has('fd00:5::/64'), 'no step starts after the interrupt');
    t.true(notes.some((n) => /SIGINT: stopping after the current step/.test(n)));
    t.is(process.listenerCount('SIGINT'), 0);
  });
});

test.serial('a second Ctrl-C during the rollback is ignored with a note; the rollback finishes', async (t) => {
  await withTmp(async (dir) => {
    const w = world();
    const notes: string[] = [];
    const guard = new InterruptGuard((l) => notes.push(l)).install();
    const reg = testRegistry(w.sysctl, w.routes, w.undoLog);
    const s1 = setSysctlStep(w.sysctl, FWD, '1');
    s1.undo = async (r) => { guard.abort('SIGTERM'); process.emit('SIGINT', 'SIGINT'); await reg.undo(r); };
    try {
      await t.throwsAsync(runTransaction([s1, setSysctlStep(w.sysctl, RA, '2'), failingStep('f', 'bad')], {
        journalPath: join(dir, 'j.json'), registry: reg, interrupts: guard,
      }), { instanceOf: RolledBackError, message: /step f failed: bad/ });
    } finally {
      guard.dispose();
    }
    t.is(w.sysctl.values.get(FWD), '0');
    t.is(w.sysctl.values.get(RA), '1');
    t.false(guard.interrupted);
    t.is(notes.filter((n) => /ignored: the rollback is running and must finish/.test(n)).length, 2);
  });
});
