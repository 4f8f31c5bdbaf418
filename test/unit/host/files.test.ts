// The one atomic replace (host/files.ts) against real files: random O_EXCL|O_NOFOLLOW temp names, planted
// names refused without writing through them, mode and owner, cleanup on every failure.
import test, { type ExecutionContext } from 'ava';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { replaceFile, tempNameFor, writeFileAtomic } from '../../../src/host/files';

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'trs-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A random source that hands out these byte patterns in turn (then repeats the last). */
function scripted(...fills: number[]): (n: number) => Buffer {
  let i = 0;
  return (n) => Buffer.alloc(n, fills[Math.min(i++, fills.length - 1)]);
}

test('temp names are random, in the same folder, and differ between writes', (t) => {
  const names = new Set(Array.from({ length: 50 }, () => tempNameFor('/var/lib/docker-ipv6/state.json')));
  t.is(names.size, 50);
  for (const n of names) t.regex(n, /^\/var\/lib\/docker-ipv6\/\.state\.json\.docker-ipv6-[0-9a-f]{16}\.tmp$/);
});

test('replace: content, mode; no temp file left; a new file is ours', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'state.json');
  await replaceFile(p, 'one\n', { mode: 0o600 });
  t.is(readFileSync(p, 'utf8'), 'one\n');
  t.is(statSync(p).mode & 0o7777, 0o600);
  t.is(statSync(p).uid, process.geteuid!());
  await writeFileAtomic(p, 'two\n', 0o644);
  t.is(readFileSync(p, 'utf8'), 'two\n');
  t.is(statSync(p).mode & 0o7777, 0o644);
  t.deepEqual(readdirSync(dir), ['state.json']);
});

test('replace: mode and owner kept from the file replaced when not given', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'daemon.json');
  writeFileSync(p, 'old');
  chmodSync(p, 0o640);
  chownSync(p, 4321, 4322);
  await replaceFile(p, 'new');
  const st = statSync(p);
  t.is(st.mode & 0o7777, 0o640);
  t.is(`${st.uid}:${st.gid}`, '4321:4322');
  t.is(readFileSync(p, 'utf8'), 'new');
});

test('a symlink planted at the temp name is refused: its target untouched, the link left, the file unchanged', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'state.json');
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious\n');
  writeFileSync(p, 'old\n');
  // the attacker "guesses" the name: the random source is pinned, the link is planted at exactly that name
  const random = scripted(0xab);
  const planted = tempNameFor(p, scripted(0xab));
  symlinkSync(victim, planted);
  const e = await t.throwsAsync(replaceFile(p, 'root was here\n', { random }));
  t.is((e as NodeJS.ErrnoException).code, 'EEXIST');
  t.is(readFileSync(victim, 'utf8'), 'precious\n', 'nothing written through the link');
  t.is(readFileSync(p, 'utf8'), 'old\n');
  t.true(lstatSync(planted).isSymbolicLink(), 'not ours to remove');
  t.is(readlinkSync(planted), victim);
  t.deepEqual(readdirSync(dir).sort(), [basename(planted), 'state.json', 'victim'].sort());
});

test('symlinks planted at every name a write will try: all refused, the target and the victims untouched', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'journal.json');
  const fills = [1, 2, 3];
  const victims = fills.map((f) => { const v = join(dir, `victim-${f}`); writeFileSync(v, `v${f}`); symlinkSync(v, tempNameFor(p, scripted(f))); return v; });
  await t.throwsAsync(replaceFile(p, 'x', { random: scripted(...fills), mode: 0o600 }), { code: 'EEXIST' });
  victims.forEach((v, i) => t.is(readFileSync(v, 'utf8'), `v${fills[i]}`));
  t.false(readdirSync(dir).includes('journal.json'), 'no file made');
});

test('a taken name is skipped for a fresh one: the write succeeds and the planted file stays as it was', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'lab.json');
  const planted = tempNameFor(p, scripted(7));
  writeFileSync(planted, 'theirs');
  await replaceFile(p, 'ours', { random: scripted(7, 8) });
  t.is(readFileSync(p, 'utf8'), 'ours');
  t.is(readFileSync(planted, 'utf8'), 'theirs');
  t.deepEqual(readdirSync(dir).sort(), [basename(planted), 'lab.json'].sort());
});

test('a failure before the rename removes the temp file and keeps the original', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'daemon.json');
  writeFileSync(p, 'original');
  let seen: string[] = [];
  await t.throwsAsync(replaceFile(p, 'new', { beforeRename: () => { seen = readdirSync(dir); throw new Error('changed underneath'); } }), { message: 'changed underneath' });
  t.is(seen.filter((f) => f.endsWith('.tmp')).length, 1, 'the temp file existed, synced, before the rename');
  t.is(readFileSync(p, 'utf8'), 'original');
  t.deepEqual(readdirSync(dir), ['daemon.json']);
});

test('a failing rename (the target is a folder) removes the temp file', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'state.json');
  mkdirSync(join(p, 'inside'), { recursive: true });
  await t.throwsAsync(replaceFile(p, 'x', { mode: 0o644 }));
  t.deepEqual(readdirSync(dir), ['state.json']);
});

test('a symlink at the path itself is replaced, not followed', async (t) => {
  const dir = tempDir(t);
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious');
  const p = join(dir, 'state.json');
  symlinkSync(victim, p);
  await replaceFile(p, 'state', { mode: 0o644 });
  t.false(lstatSync(p).isSymbolicLink());
  t.is(readFileSync(p, 'utf8'), 'state');
  t.is(readFileSync(victim, 'utf8'), 'precious');
});

test('the old predictable temp name (.NAME.tmp-PID) is not written through', async (t) => {
  const dir = tempDir(t);
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious');
  const p = join(dir, 'state.json');
  symlinkSync(victim, join(dir, `.state.json.tmp-${process.pid}`));
  await writeFileAtomic(p, 'state', 0o644);
  t.is(readFileSync(victim, 'utf8'), 'precious');
  t.is(readFileSync(p, 'utf8'), 'state');
});
