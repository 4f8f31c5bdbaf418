// Lock tests: contention in one process and across processes, stale takeover (dead pid, reused pid, garbage), release.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PreconditionError } from '../../../src/errors';
import { acquireLock, processStartTime, takeOver, withLock, withLockNow, type LockOwner } from '../../../src/transaction/lock';
import { withTmp } from './fakes';
import { child, until } from './spawn-child';

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

function fakeOwner(over: Partial<LockOwner>): string {
  return JSON.stringify({ pid: process.pid, startTime: processStartTime('self'), command: 'enable', at: '2024-01-01T00:00:00Z', token: 'feedface', ...over });
}

test('a second acquirer is refused with the holder named; after release it succeeds', async (t) => {
  await withTmp(async (dir) => {
    const path = join(dir, 'state/lock');
    const a = await acquireLock(path, { command: 'enable' });
    const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    t.is(owner.pid, process.pid);
    t.is(owner.startTime, processStartTime(process.pid) ?? null);
    t.regex(String(owner.startTime), /^\d+$/);
    const err = await t.throwsAsync(acquireLock(path, { command: 'disable' }), { instanceOf: PreconditionError });
    t.is(err!.message.split(' (')[0], 'another docker ipv6 enable is running');
    t.regex(err!.message, new RegExp(`\\(pid ${process.pid}, since `));
    t.regex(err!.hint!, /wait for it to finish/);
    await a.release();
    t.false(existsSync(path));
    const b = await acquireLock(path, { command: 'disable' });
    await b.release();
  });
});

test('another live process holds the lock; once it is SIGKILLed its stale lock is taken over with a note', async (t) => {
  await withTmp(async (dir) => {
    const path = join(dir, 'lock');
    const c = child(['lock', dir]);
    try {
      await until('the child to take the lock', () => existsSync(join(dir, 'locked')), c);
      const err = await t.throwsAsync(acquireLock(path, { command: 'enable' }), { instanceOf: PreconditionError });
      t.regex(err!.message, new RegExp(`^another docker ipv6 apply is running \\(pid ${c.proc.pid},`));
    } finally {
      c.proc.kill('SIGKILL');
    }
    await c.exited;
    const notes: string[] = [];
    const lock = await acquireLock(path, { command: 'enable', log: (l) => notes.push(l) });
    t.is(lock.owner.pid, process.pid);
    t.is(notes.length, 1);
    t.regex(notes[0], new RegExp(`took over a stale lock of docker ipv6 apply \\(pid ${c.proc.pid},.*pid ${c.proc.pid} is no longer running`));
    await lock.release();
  });
});

test('a lock whose pid now belongs to another process (start time differs) is stale', async (t) => {
  await withTmp(async (dir) => {
    const path = join(dir, 'lock');
    writeFileSync(path, fakeOwner({ pid: 1, startTime: '1' }));
    const notes: string[] = [];
    const lock = await acquireLock(path, { command: 'enable', log: (l) => notes.push(l) });
    t.regex(notes[0], /pid 1 now belongs to another process \(pid reused\)/);
    t.is((JSON.parse(readFileSync(path, 'utf8')) as LockOwner).token, lock.owner.token);
    await lock.release();
  });
});

test('a dead pid and an unreadable lock are both taken over', async (t) => {
  await withTmp(async (dir) => {
    const path = join(dir, 'lock');
    const pid = deadPid();
    writeFileSync(path, fakeOwner({ pid }));
    const notes: string[] = [];
    await (await acquireLock(path, { command: 'enable', log: (l) => notes.push(l) })).release();
    writeFileSync(path, '{"pid": garbage');
    await (await acquireLock(path, { command: 'enable', log: (l) => notes.push(l) })).release();
    t.regex(notes[0], new RegExp(`pid ${pid} is no longer running`));
    t.regex(notes[1], /took over an unreadable lock .*: its content is unreadable/);
  });
});

test('many acquirers racing for one stale lock: exactly one wins, every round', async (t) => {
  await withTmp(async (dir) => {
    const path = join(dir, 'lock');
    const dead = deadPid();
    for (let round = 0; round < 30; round++) {
      writeFileSync(path, fakeOwner({ pid: dead, token: `stale${round}` }));
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => acquireLock(path, { command: `c${i}` })));
      const won = results.filter((r) => r.status === 'fulfilled');
      t.is(won.length, 1, `round ${round}`);
      for (const r of results) if (r.status === 'rejected') t.true(r.reason instanceof PreconditionError, String(r.reason));
      await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value.release();
      t.false(existsSync(path));
      t.false(existsSync(`${path}.takeover`));
    }
  });
});

test('takeover removes only the stale lock it saw, not one that replaced it meanwhile, and not while another takes over', async (t) => {
  await withTmp(async (dir) => {
    const path = join(dir, 'lock');
    const seen = JSON.parse(fakeOwner({ pid: deadPid(), token: 'old' })) as LockOwner;
    const live = fakeOwner({ token: 'new-live-holder' });
    writeFileSync(path, live);
    const notes: string[] = [];
    await takeOver(path, seen, 'pid gone', (l) => notes.push(l));
    t.is(readFileSync(path, 'utf8'), live);
    t.deepEqual(notes, []);
    writeFileSync(path, JSON.stringify(seen));
    writeFileSync(`${path}.takeover`, '');
    await takeOver(path, seen, 'pid gone', (l) => notes.push(l));
    t.true(existsSync(path), 'a fresh takeover guard of another process is respected');
    rmSync(`${path}.takeover`);
    await takeOver(path, seen, 'pid gone', (l) => notes.push(l));
    t.false(existsSync(path));
    t.false(existsSync(`${path}.takeover`));
    t.is(notes.length, 1);
  });
});

test('release leaves a lock that is no longer ours', async (t) => {
  await withTmp(async (dir) => {
    const path = join(dir, 'lock');
    const notes: string[] = [];
    const lock = await acquireLock(path, { command: 'enable', log: (l) => notes.push(l) });
    const theirs = fakeOwner({ token: 'someone-else' });
    writeFileSync(path, theirs);
    await lock.release();
    t.is(readFileSync(path, 'utf8'), theirs);
    t.regex(notes[0], /no longer ours/);
  });
});

test('waitMs waits for a live holder to finish; withLock releases after the work, even on error', async (t) => {
  await withTmp(async (dir) => {
    const path = join(dir, 'lock');
    const first = await acquireLock(path, { command: 'agent' });
    // released once the waiter says it waits (a fixed 150 ms timer could fire before its first try on a loaded machine)
    let releasedAt = Infinity;
    const notes: string[] = [];
    const log = (l: string) => { notes.push(l); if (notes.length === 1) setTimeout(() => { releasedAt = Date.now(); void first.release(); }, 100); };
    const got = await withLock(path, { command: 'apply', waitMs: 30_000, pollMs: 20, log }, async (l) => {
      t.true(Date.now() >= releasedAt, 'it got the lock only after the holder released it');
      return l.owner.command;
    });
    t.is(got, 'apply');
    t.regex(notes[0], /waiting for docker ipv6 agent \(pid \d+\) to finish/);
    t.false(existsSync(path));
    await t.throwsAsync(withLock(path, { command: 'apply' }, async () => { throw new Error('work failed'); }), { message: 'work failed' });
    t.false(existsSync(path));
  });
});

test('withLockNow (the agent fast path): same file and holder record; refuses a live holder, takes over a dead one, makes the folder, releases on error', async (t) => {
  await withTmp(async (dir) => {
    const path = join(dir, 'state/lock'); // the folder does not exist yet: the usual path makes it
    const seen = await withLockNow(path, 'agent', async (l) => {
      const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
      t.like(owner, { pid: process.pid, command: 'agent', token: l.owner.token });
      t.is(owner.startTime, processStartTime('self') ?? null);
      return 'ran';
    });
    t.is(seen, 'ran');
    t.false(existsSync(path));
    // the synchronous path (folder present), then an error inside: released all the same
    await t.throwsAsync(withLockNow(path, 'agent', async () => { t.true(existsSync(path)); throw new Error('boom'); }), { message: 'boom' });
    t.false(existsSync(path));
    t.deepEqual(readdirSync(join(dir, 'state')), [], 'no temp file left behind');
    // a live holder: refused at once with the holder named, its lock untouched
    const held = await acquireLock(path, { command: 'enable' });
    const err = await t.throwsAsync(withLockNow(path, 'agent', async () => 'never'), { instanceOf: PreconditionError });
    t.regex(err!.message, /another docker ipv6 enable is running/);
    t.true(existsSync(path));
    await held.release();
    // a dead holder: taken over
    writeFileSync(path, fakeOwner({ pid: deadPid() }));
    t.is(await withLockNow(path, 'agent', async () => 'took over'), 'took over');
    t.false(existsSync(path));
  });
});

test('onAcquired runs the moment the lock file is ours, before acquireLock settles; release is idempotent', async (t) => {
  await withTmp(async (dir) => {
    const path = join(dir, 'lock');
    let sawFile: boolean | undefined;
    let settled = false;
    const p = acquireLock(path, { command: 'agent', onAcquired: () => { sawFile = existsSync(path); t.false(settled); } });
    void p.then(() => { settled = true; });
    const lock = await p;
    t.true(sawFile);
    await lock.release();
    await lock.release();
    t.false(existsSync(path));
    // withLockNow's lock: a second release of an already released lock does nothing (even if someone else holds it now)
    let inner: import('../../../src/transaction/lock').Lock | undefined;
    await withLockNow(path, 'agent', async (l) => { inner = l; });
    const other = await acquireLock(path, { command: 'enable' });
    await inner!.release();
    t.true(existsSync(path), 'the other holder keeps its lock');
    await other.release();
  });
});
