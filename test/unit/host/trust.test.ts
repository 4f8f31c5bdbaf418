// The trust check (host/trust.ts) on a real temp tree: owner, mode, ancestors, sticky folders, symlinks.
// The run is root: untrusted cases are made by handing folders to nobody (65534) or opening their mode.
import test, { type ExecutionContext } from 'ava';
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PreconditionError } from '../../../src/errors';
import { assertTrusted, ensureTrustedDir, trustProblem } from '../../../src/host/trust';

const NOBODY = 65534;

function tree(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'trs-trust-'));
  chmodSync(dir, 0o755);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('root-owned folders and files under a sticky /tmp are trusted; a missing tail is judged by what exists', (t) => {
  const root = tree(t);
  const state = join(root, 'var/lib/docker-ipv6');
  mkdirSync(state, { recursive: true, mode: 0o755 });
  writeFileSync(join(state, 'state.json'), '{}', { mode: 0o644 });
  t.is(statSync('/tmp').mode & 0o1000, 0o1000, 'this machine\'s /tmp is sticky');
  t.is(trustProblem(join(state, 'state.json')), undefined);
  t.is(trustProblem(join(state, 'journal.json')), undefined, 'not there yet');
  t.is(trustProblem(join(root, 'not/made/yet')), undefined);
  t.notThrows(() => assertTrusted(state, 'the state folder'));
});

test('a state folder owned by nobody is refused, naming the path, owner and mode, with the fix', (t) => {
  const root = tree(t);
  const state = join(root, 'var/lib/docker-ipv6');
  mkdirSync(state, { recursive: true, mode: 0o755 });
  chownSync(state, NOBODY, NOBODY);
  const e = t.throws(() => assertTrusted(join(state, 'state.json'), 'the state file'), { instanceOf: PreconditionError })!;
  t.is(e.exitCode, 3);
  t.true(e.message.includes(`${state} (on the way to ${join(state, 'state.json')}) is owned by uid ${NOBODY} with mode 0755`), e.message);
  t.true(e.hint!.includes(`chown root:root ${state} && chmod go-w ${state}`), e.hint);
});

test('a folder or file writable by group or others is refused, sticky or not', (t) => {
  const root = tree(t);
  const state = join(root, 'state');
  mkdirSync(state, { mode: 0o755 });
  for (const mode of [0o777, 0o775, 0o757, 0o1777]) {
    chmodSync(state, mode);
    t.regex(trustProblem(state)?.why ?? '', /writable by group or others/, mode.toString(8));
  }
  chmodSync(state, 0o700);
  t.is(trustProblem(state), undefined);
  const file = join(state, 'journal.json');
  writeFileSync(file, '{}');
  chmodSync(file, 0o666);
  t.like(trustProblem(file), { path: file, mode: 0o666 });
  chmodSync(file, 0o600);
  chownSync(file, NOBODY, 0);
  t.like(trustProblem(file), { path: file, uid: NOBODY });
});

test('an ancestor writable by others without the sticky bit is refused; with it, it is fine', (t) => {
  const root = tree(t);
  const mid = join(root, 'shared');
  const state = join(mid, 'var/lib/docker-ipv6');
  mkdirSync(state, { recursive: true, mode: 0o755 });
  chmodSync(mid, 0o777);
  t.like(trustProblem(state), { path: mid, mode: 0o777 });
  t.regex(trustProblem(state)!.why, /without the sticky bit/);
  chmodSync(mid, 0o1777);
  t.is(trustProblem(state), undefined, 'sticky like /tmp: others cannot replace root\'s folder in it');
  chmodSync(mid, 0o755);
  chownSync(mid, NOBODY, NOBODY);
  t.like(trustProblem(state), { path: mid, uid: NOBODY }, 'an ancestor owned by someone else (they can chmod it)');
});

test('symlinks: a root-owned link to a trusted folder is followed and judged there; a link owned by nobody is refused', (t) => {
  const root = tree(t);
  const real = join(root, 'real');
  mkdirSync(real, { mode: 0o755 });
  symlinkSync(real, join(root, 'link'));
  t.is(trustProblem(join(root, 'link/state.json')), undefined);
  chmodSync(real, 0o777);
  t.like(trustProblem(join(root, 'link/state.json')), { path: real }, 'the target is judged');
  chmodSync(real, 0o755);
  const theirs = join(root, 'theirs');
  symlinkSync(real, theirs);
  lchownSync(theirs, NOBODY, NOBODY); // the link itself, not its target
  t.like(trustProblem(join(theirs, 'x')), { path: theirs, uid: NOBODY });
  symlinkSync('loop', join(root, 'loop'));
  t.regex(trustProblem(join(root, 'loop/x'))?.why ?? '', /too many symbolic links/);
});

test('ensureTrustedDir makes missing folders root-owned with the asked mode whatever the umask, and refuses an existing bad one', (t) => {
  const root = tree(t);
  const state = join(root, 'a/b/docker-ipv6');
  const old = process.umask(0o002);
  try {
    ensureTrustedDir(state, 0o755, 'the state folder');
  } finally {
    process.umask(old);
  }
  t.is(statSync(state).mode & 0o7777, 0o755);
  t.is(statSync(join(root, 'a')).mode & 0o7777, 0o755);
  t.is(statSync(state).uid, 0);
  chmodSync(state, 0o777);
  t.throws(() => ensureTrustedDir(state, 0o755, 'the state folder'), { instanceOf: PreconditionError, message: /refusing to trust the state folder .* mode 0777/ });
  const lab = join(root, 'labs');
  mkdirSync(lab, { mode: 0o755 });
  chownSync(lab, NOBODY, NOBODY);
  t.throws(() => ensureTrustedDir(join(lab, 'x'), 0o755, 'the lab folder'), { message: new RegExp(`${lab} \\(on the way to .*\\) is owned by uid ${NOBODY}`) });
  t.false(existsSync(join(lab, 'x')), 'nothing made inside a folder someone else owns');
});
