// DaemonConfigStore against real files, including the issue-8 faults that need no daemon (root: mounts).
import test, { type ExecutionContext } from 'ava';
import { chmodSync, chownSync, closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors';
import { restoreKeys, setKeys } from '../../../src/daemon/edit';
import { DaemonJsonSyntaxError } from '../../../src/daemon/parse';
import { DaemonConfigStore } from '../../../src/host/daemon-json';
import { run } from '../../../src/util/exec';

function tempDir(t: ExecutionContext, prefix = 'daemon-store-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Mounts for a test, always unmounted (lazily if busy) before the folder is removed. */
async function mount(t: ExecutionContext, argv: string[], where: string): Promise<void> {
  await run(['mount', ...argv, where]);
  t.teardown(async () => { await run(['umount', where]).catch(() => run(['umount', '-l', where])); });
}

const tempFilesIn = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));
const ORIGINAL = '{\n  "log-driver": "journald",\n  "some-future-option": {"x": [1, 2]}\n}\n';

test('read: a missing file is an empty config, remembered as missing', async (t) => {
  const dir = tempDir(t);
  const r = await new DaemonConfigStore(join(dir, 'etc/docker/daemon.json')).read();
  t.deepEqual(r.value, {});
  t.true(r.missing);
  t.deepEqual(r.identity, { exists: false, sha256: '' });
  t.deepEqual(r.warnings, []);
});

test('read: value, text and identity of an existing file', async (t) => {
  const file = join(tempDir(t), 'daemon.json');
  writeFileSync(file, ORIGINAL);
  const r = await new DaemonConfigStore(file).read();
  t.false(r.missing);
  t.is(r.text, ORIGINAL);
  t.deepEqual(r.value, { 'log-driver': 'journald', 'some-future-option': { x: [1, 2] } });
  const st = statSync(file, { bigint: true });
  t.like(r.identity, { exists: true, ino: Number(st.ino), dev: Number(st.dev), size: ORIGINAL.length, mtimeNs: st.mtimeNs.toString() });
  t.regex(r.identity.sha256, /^[0-9a-f]{64}$/);
  t.is(r.target, file);
});

test('read: malformed, UTF-16, invalid UTF-8, a directory and an empty file on 20.10 are ConfigErrors', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'daemon.json');
  writeFileSync(file, '{\n  "ipv6": true,\n}\n');
  const e = await t.throwsAsync(new DaemonConfigStore(file).read(), { instanceOf: DaemonJsonSyntaxError });
  t.is(`${e!.line}:${e!.column}`, '3:1');
  writeFileSync(file, Buffer.from('\ufeff{}', 'utf16le'));
  await t.throwsAsync(new DaemonConfigStore(file).read(), { instanceOf: ConfigError, message: /UTF-16/ });
  writeFileSync(file, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]));
  await t.throwsAsync(new DaemonConfigStore(file).read(), { instanceOf: ConfigError, message: /failed to decode configuration JSON at offset 6/ });
  writeFileSync(file, '');
  await t.throwsAsync(new DaemonConfigStore(file, { dockerVersion: '20.10.24' }).read(), { instanceOf: ConfigError, message: /EOF/ });
  t.deepEqual((await new DaemonConfigStore(file, { dockerVersion: '28.5.2' }).read()).value, {});
  mkdirSync(join(dir, 'adir'));
  const d = await t.throwsAsync(new DaemonConfigStore(join(dir, 'adir')).read(), { instanceOf: ConfigError });
  t.regex(d!.hint!, /is a directory/);
});

test('write: a new file creates the missing /etc/docker with 0755, file 0644, whatever the umask', async (t) => {
  const root = tempDir(t);
  const file = join(root, 'etc/docker/daemon.json');
  const store = new DaemonConfigStore(file);
  const before = await store.read();
  const old = process.umask(0o077);
  try { await store.write('{"ipv6": true}\n', before.identity); } finally { process.umask(old); }
  t.is(readFileSync(file, 'utf8'), '{"ipv6": true}\n');
  t.is(statSync(join(root, 'etc')).mode & 0o7777, 0o755);
  t.is(statSync(join(root, 'etc/docker')).mode & 0o7777, 0o755);
  t.is(statSync(file).mode & 0o7777, 0o644);
  t.deepEqual(tempFilesIn(join(root, 'etc/docker')), []);
});

test('read does not create the parent directory', async (t) => {
  const root = tempDir(t);
  await new DaemonConfigStore(join(root, 'etc/docker/daemon.json')).read();
  t.deepEqual(readdirSync(root), []);
});

test('write keeps mode and owner, replaces atomically (new inode), returns the new identity', async (t) => {
  const file = join(tempDir(t), 'daemon.json');
  writeFileSync(file, ORIGINAL);
  chmodSync(file, 0o600);
  chownSync(file, 1234, 5678);
  const store = new DaemonConfigStore(file);
  const r = await store.read();
  const next = setKeys(r.text, { ipv6: true });
  const id = await store.write(next.text, r.identity);
  const st = statSync(file);
  t.is(st.mode & 0o7777, 0o600);
  t.is(st.uid, 1234);
  t.is(st.gid, 5678);
  t.not(st.ino, r.identity.ino);
  t.is(id.ino, st.ino);
  t.is(readFileSync(file, 'utf8'), next.text);
  // Unknown keys are kept, and restoring gives the original bytes back.
  t.deepEqual((await store.read()).value['some-future-option'], { x: [1, 2] });
  await store.write(restoreKeys(next.text, next.undo), id);
  t.is(readFileSync(file, 'utf8'), ORIGINAL);
});

test('symlink: the target is written, the link kept (relative and dangling links too)', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'real'));
  mkdirSync(join(dir, 'etc'));
  const target = join(dir, 'real/daemon.json');
  writeFileSync(target, ORIGINAL);
  chmodSync(target, 0o640);
  const link = join(dir, 'etc/daemon.json');
  symlinkSync('../real/daemon.json', link);
  const store = new DaemonConfigStore(link);
  const r = await store.read();
  t.is(r.target, target);
  await store.write(setKeys(r.text, { ipv6: true }).text, r.identity);
  t.true(lstatSync(link).isSymbolicLink());
  t.is(readlinkSync(link), '../real/daemon.json');
  t.true(readFileSync(target, 'utf8').includes('"ipv6": true'));
  t.is(statSync(target).mode & 0o7777, 0o640);
  t.deepEqual(tempFilesIn(join(dir, 'real')), []);
  // A link whose target does not exist yet: the target is created, the link stays.
  const dangling = join(dir, 'etc/other.json');
  symlinkSync(join(dir, 'real/new.json'), dangling);
  const s2 = new DaemonConfigStore(dangling);
  const r2 = await s2.read();
  t.true(r2.missing);
  await s2.write('{}\n', r2.identity);
  t.true(lstatSync(dangling).isSymbolicLink());
  t.is(readFileSync(join(dir, 'real/new.json'), 'utf8'), '{}\n');
});

test('a symlink loop is a ConfigError', async (t) => {
  const dir = tempDir(t);
  symlinkSync(join(dir, 'b'), join(dir, 'a'));
  symlinkSync(join(dir, 'a'), join(dir, 'b'));
  await t.throwsAsync(new DaemonConfigStore(join(dir, 'a')).read(), { instanceOf: ConfigError });
});

test('changed by someone else between read and write: refused, their change kept, no temp file', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'daemon.json');
  writeFileSync(file, ORIGINAL);
  const store = new DaemonConfigStore(file);
  const r = await store.read();
  writeFileSync(file, '{"debug": true}\n');
  const e = await t.throwsAsync(store.write('{"ipv6": true}\n', r.identity), { instanceOf: ConfigError });
  t.regex(e!.message, /was changed by someone else since it was read; nothing was written/);
  t.is(readFileSync(file, 'utf8'), '{"debug": true}\n');
  t.deepEqual(tempFilesIn(dir), []);
});

test('changed right before the rename (after our temp file is synced): refused, no temp file', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'daemon.json');
  writeFileSync(file, ORIGINAL);
  const store = new DaemonConfigStore(file, { beforeCommit: () => { t.is(tempFilesIn(dir).length, 1); writeFileSync(file, '{"mtu": 1400}\n'); } });
  const r = await store.read();
  await t.throwsAsync(store.write('{"ipv6": true}\n', r.identity), { instanceOf: ConfigError, message: /changed by someone else/ });
  t.is(readFileSync(file, 'utf8'), '{"mtu": 1400}\n');
  t.deepEqual(tempFilesIn(dir), []);
});

test('created or deleted by someone else since the read: refused', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'daemon.json');
  const store = new DaemonConfigStore(file);
  const missing = await store.read();
  writeFileSync(file, '{}');
  await t.throwsAsync(store.write('{"ipv6": true}', missing.identity), { message: /was created by someone else/ });
  const present = await store.read();
  rmSync(file);
  await t.throwsAsync(store.write('{"ipv6": true}', present.identity), { message: /was deleted by someone else/ });
  t.false(readdirSync(dir).includes('daemon.json'));
});

test('read-only directory (a read-only bind mount): original intact, no temp file, hint says so', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'daemon.json');
  writeFileSync(file, ORIGINAL);
  const store = new DaemonConfigStore(file);
  const r = await store.read();
  await mount(t, ['-o', 'bind,ro', dir], dir);
  const e = await t.throwsAsync(store.write(setKeys(r.text, { ipv6: true }).text, r.identity), { instanceOf: ConfigError });
  t.regex(e!.message, /EROFS/);
  t.regex(e!.hint!, /read-only filesystem/);
  t.is(readFileSync(file, 'utf8'), ORIGINAL);
  t.deepEqual(tempFilesIn(dir), []);
});

test('disk full during the write (a 16k tmpfs): original intact, no temp file, hint says so', async (t) => {
  const dir = tempDir(t);
  await mount(t, ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs'], dir);
  const file = join(dir, 'daemon.json');
  writeFileSync(file, ORIGINAL);
  const store = new DaemonConfigStore(file);
  const r = await store.read();
  const fd = openSync(join(dir, 'filler'), 'w');
  try { for (;;) writeSync(fd, Buffer.alloc(1024, 120)); } catch (e) { t.is((e as NodeJS.ErrnoException).code, 'ENOSPC'); } finally { closeSync(fd); }
  const e = await t.throwsAsync(store.write(setKeys(r.text, { ipv6: true }).text, r.identity), { instanceOf: ConfigError });
  t.regex(e!.message, /ENOSPC/);
  t.regex(e!.hint!, /is full/);
  t.is(readFileSync(file, 'utf8'), ORIGINAL);
  t.deepEqual(tempFilesIn(dir), []);
});

test('backup copies the file into the state dir (0700 dir, 0600 file); nothing to copy when missing', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'daemon.json');
  writeFileSync(file, ORIGINAL);
  const state = join(dir, 'state/backups');
  const b = await new DaemonConfigStore(file).backup(state, 'daemon.json.1.bak');
  t.is(b.path, join(state, 'daemon.json.1.bak'));
  t.is(readFileSync(b.path!, 'utf8'), ORIGINAL);
  t.is(statSync(b.path!).mode & 0o7777, 0o600);
  t.is(statSync(state).mode & 0o7777, 0o700);
  t.true(b.identity.exists);
  const auto = await new DaemonConfigStore(file).backup(state);
  t.regex(auto.path!, /daemon\.json\..*\.bak$/);
  t.deepEqual(tempFilesIn(state), []);
  const none = await new DaemonConfigStore(join(dir, 'nope.json')).backup(state);
  t.deepEqual(none, { path: null, identity: { exists: false, sha256: '' } });
});

test('remove restores "no file": deletes when unchanged, refuses when changed', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'daemon.json');
  const store = new DaemonConfigStore(file);
  const before = await store.read();
  const written = await store.write('{\n  "ipv6": true\n}\n', before.identity);
  writeFileSync(file, '{"ipv6": false}');
  await t.throwsAsync(store.remove(written), { message: /changed by someone else/ });
  const now = await store.read();
  await store.remove(now.identity);
  t.false(readdirSync(dir).includes('daemon.json'));
  await store.remove({ exists: false, sha256: '' });
});
