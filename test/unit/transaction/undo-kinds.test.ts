// Built-in undo kinds (file, sysctl), the registry's rules, and the journal file's format and atomic writes.
import test from 'ava';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors';
import { captureFile, captureSysctl, fileUndo, newUndoRegistry, sysctlUndo, writeFileAtomic } from '../../../src/transaction/undo-kinds';
import { UndoRegistry, checkRecord } from '../../../src/transaction/registry';
import { readJournal, writeJournal } from '../../../src/transaction/journal';
import { FakeSysctl, withTmp } from './fakes';

test('file: capture then restore puts back bytes, mode and owner; a backup gives a one-line manual fix', async (t) => {
  await withTmp(async (dir) => {
    const p = join(dir, 'daemon.json');
    const original = '{\n  // comment kept\n  "debug": true,\n}\n';
    writeFileSync(p, original, { mode: 0o600 });
    // as root (here and in CI) give the file a foreign owner, so keeping the owner is really checked
    const uid = process.getuid?.() === 0 ? 1234 : statSync(p).uid;
    chownSync(p, uid, uid);
    const rec = await captureFile(p, { backupTo: join(dir, 'daemon.json.bak') });
    t.is(rec.previousText, original);
    t.is(rec.mode, 0o600);
    t.is(readFileSync(join(dir, 'daemon.json.bak'), 'utf8'), original);
    await writeFileAtomic(p, '{"ipv6": true}\n', 0o644);
    await newUndoRegistry().undo(rec);
    t.is(readFileSync(p, 'utf8'), original);
    t.is(statSync(p).mode & 0o777, 0o600);
    t.is(rec.uid, uid);
    t.is(statSync(p).uid, uid);
    t.is(statSync(p).gid, uid);
    t.deepEqual(fileUndo.manualFix(rec), [`cp ${join(dir, 'daemon.json.bak')} ${p}`]);
    t.is(fileUndo.describe(rec), `restored ${p}`);
    t.deepEqual(readdirSync(dir).sort(), ['daemon.json', 'daemon.json.bak'], 'no temp files left');
  });
});

test('file: a file that did not exist is removed on undo, and undo is idempotent', async (t) => {
  await withTmp(async (dir) => {
    const p = join(dir, '60-docker-ipv6.conf');
    const rec = await captureFile(p);
    t.deepEqual(rec, { kind: 'file', path: p, absent: true });
    writeFileSync(p, 'net.ipv6.conf.all.forwarding=1\n');
    await fileUndo.undo(rec);
    t.false(existsSync(p));
    await fileUndo.undo(rec);
    t.deepEqual(fileUndo.manualFix(rec), [`rm -f ${p}`]);
  });
});

test('file: through a symlink the target is restored and the link is kept', async (t) => {
  await withTmp(async (dir) => {
    mkdirSync(join(dir, 'real'));
    const target = join(dir, 'real/daemon.json');
    const link = join(dir, 'daemon.json');
    writeFileSync(target, '{"a":1}\n');
    symlinkSync(target, link);
    const rec = await captureFile(link);
    t.is(rec.path, target);
    writeFileSync(target, '{"a":2}\n');
    await fileUndo.undo({ ...rec, path: link });
    t.true(lstatSync(link).isSymbolicLink());
    t.is(readlinkSync(link), target);
    t.is(readFileSync(target, 'utf8'), '{"a":1}\n');
  });
});

test('sysctl: restores the previous value, skips a value already right, and names the manual fix', async (t) => {
  const store = new FakeSysctl({ 'net.ipv6.conf.all.forwarding': '0' });
  const rec = await captureSysctl(store, 'net.ipv6.conf.all.forwarding');
  t.deepEqual(rec, { kind: 'sysctl', key: 'net.ipv6.conf.all.forwarding', previous: '0' });
  await store.write('net.ipv6.conf.all.forwarding', '1');
  const h = sysctlUndo(store);
  await h.undo(rec);
  await h.undo(rec);
  t.deepEqual(store.writes, [['net.ipv6.conf.all.forwarding', '1'], ['net.ipv6.conf.all.forwarding', '0']], 'second undo wrote nothing');
  t.deepEqual(h.manualFix(rec), ['sysctl -w net.ipv6.conf.all.forwarding=0']);
  const missing = await captureSysctl(store, 'net.ipv6.conf.eth9.proxy_ndp');
  t.is(missing.previous, null);
  await h.undo(missing);
  t.is(store.writes.length, 2);
});

test('registry: one handler per kind, unknown kinds refused, describe falls back to the step', async (t) => {
  const reg = new UndoRegistry().registerUndo('restart', async () => {});
  t.throws(() => reg.registerUndo('restart', async () => {}), { message: /already registered/ });
  await t.throwsAsync(reg.undo({ kind: 'nope' }), { message: /no undo handler registered for kind nope/ });
  t.is(reg.describe({ kind: 'restart' }, 'restart dockerd'), 'undid: restart dockerd');
  t.deepEqual(reg.manualFix({ kind: 'restart' }), []);
});

test('checkRecord accepts plain JSON and rejects what the journal would change', (t) => {
  t.deepEqual(checkRecord({ kind: 'ip6tables', table: 'nat', chains: ['DOCKER-IPV6-NAT'], skip: undefined }, 's'), { kind: 'ip6tables', table: 'nat', chains: ['DOCKER-IPV6-NAT'] });
  t.throws(() => checkRecord({ kind: 'x', n: Number.NaN }, 's'), { message: /not plain JSON/ });
  t.throws(() => checkRecord({ kind: 'x', m: new Map() }, 's'), { message: /not plain JSON/ });
  t.throws(() => checkRecord({ kind: 'x', big: 1n as never }, 's'));
  t.throws(() => checkRecord({ path: '/x' }, 's'), { message: /without a string kind/ });
});

test('journal: atomic write leaves no temp file; unreadable or unknown journals are ConfigErrors', async (t) => {
  await withTmp(async (dir) => {
    const p = join(dir, 'state/journal.json');
    await writeJournal(p, { version: 1, command: 'enable', pid: 1, startedAt: 'x', status: 'running', entries: [] });
    t.deepEqual(readdirSync(join(dir, 'state')), ['journal.json']);
    t.is((await readJournal(p))?.command, 'enable');
    t.is(await readJournal(join(dir, 'absent.json')), undefined);
    writeFileSync(p, '{"version": 1, "status": "running", "entr');
    const e = await t.throwsAsync(readJournal(p), { instanceOf: ConfigError });
    t.regex(e!.message, /journal .* is unreadable/);
    writeFileSync(p, '{"version": 2, "status": "running", "entries": []}');
    await t.throwsAsync(readJournal(p), { instanceOf: ConfigError, message: /unknown journal version 2/ });
  });
});
