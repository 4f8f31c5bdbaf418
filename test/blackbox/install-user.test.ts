// `docker ipv6 install|uninstall --user` run by root with HOME pointing at another user's home (sudo keeping HOME,
// sudo -E): the built plugin through the real docker CLI. Root refuses to act on folders that user controls, a
// manifest planted there deletes nothing, and the command each refusal prints, run as printed, does the job as
// that user. uid 12345 has no account: only its ownership matters.
import test from 'ava';
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, CLI, withoutNode, type Result } from '../helpers/lab';

const DOCKER = '/usr/local/bin/docker';
const UID = 12345;

/** A 0755 folder holding a copy of the executable and a DOCKER_CONFIG whose cli-plugins names it: both reachable by UID. */
function setup() {
  const base = mkdtempSync(join(tmpdir(), 'dl6-user-'));
  chmodSync(base, 0o755);
  mkdirSync(join(base, 'bin'), { mode: 0o755 });
  const exe = join(base, 'bin/docker-ipv6');
  // a second name for the 121 MB executable where UID can reach it (the checkout may be under a 0700 home)
  try { linkSync(CLI, exe); } catch { copyFileSync(CLI, exe); chmodSync(exe, 0o755); }
  const config = join(base, 'docker-config');
  mkdirSync(join(config, 'cli-plugins'), { recursive: true, mode: 0o755 });
  symlinkSync(exe, join(config, 'cli-plugins/docker-ipv6'));
  const home = (name: string) => { const h = join(base, name); mkdirSync(h, { mode: 0o755 }); chownSync(h, UID, UID); return h; };
  const env = (home: string) => withoutNode({ PATH: process.env.PATH, DOCKER_CONFIG: config, HOME: home });
  const docker = (home: string, args: string[]) => capture([DOCKER, 'ipv6', ...args], { env: env(home) });
  return { base, exe, home, env, docker };
}

// one copy of the executable for both tests
let shared: ReturnType<typeof setup> | undefined;
test.before(() => { shared = setup(); });
test.after.always(() => { if (shared) rmSync(shared.base, { recursive: true, force: true }); });

const tree = (d: string): string[] => readdirSync(d, { recursive: true }).map(String).sort();

/** The command after "run it as that user instead of root: " in the hint, which the test then runs as printed. */
function printedFix(r: Result): string {
  const m = /^ {2}hint: run it as that user instead of root: (setpriv .*)$/m.exec(r.stderr);
  if (!m) throw new Error(`no fix printed:\n${r.stderr}`);
  return m[1];
}

test('as root, install and uninstall --user under another user\'s home are refused (exit 3, nothing changed); the printed fix does it as that user', async (t) => {
  const s = shared!;
  const alice = s.home('alice');

  const inst = await s.docker(alice, ['install', '--user']);
  t.is(inst.code, 3, inst.stderr);
  t.regex(inst.stderr, new RegExp(`refusing to install --user as root under ${alice}: ${alice} belongs to uid ${UID}`));
  t.deepEqual(tree(alice), [], 'root wrote nothing into her home');
  const fixInst = printedFix(inst);
  t.is(fixInst, `setpriv --reuid=${UID} --regid=${UID} --clear-groups env HOME=${alice} docker ipv6 install --user`);
  const installed = await capture(['sh', '-c', fixInst], { env: s.env(alice) });
  t.is(installed.code, 0, installed.stderr);
  const plugin = join(alice, '.docker/cli-plugins/docker-ipv6');
  t.true(existsSync(plugin), 'installed as her');
  const owned = tree(alice);

  const un = await s.docker(alice, ['uninstall', '--user']);
  t.is(un.code, 3, un.stderr);
  t.regex(un.stderr, /refusing to uninstall --user as root/);
  t.deepEqual(tree(alice), owned, 'root removed nothing');
  const removed = await capture(['sh', '-c', printedFix(un)], { env: s.env(alice) });
  t.is(removed.code, 0, removed.stderr);
  t.deepEqual(tree(alice), [], 'her own uninstall removed exactly what her install made');
});

test('a manifest in a home another user owns, naming a file of root\'s, makes root\'s uninstall --user delete nothing', async (t) => {
  const s = shared!;
  const mallory = s.home('mallory');
  const victim = join(s.base, 'victim');
  writeFileSync(victim, 'root\'s file\n');
  const lib = join(mallory, '.local/lib/docker-ipv6');
  mkdirSync(lib, { recursive: true });
  writeFileSync(join(lib, 'manifest.json'), JSON.stringify({ version: 1, files: [victim], dirs: [], symlinks: [], enabledUnits: ['ssh.service'] }));
  for (const p of [join(mallory, '.local'), join(mallory, '.local/lib'), lib, join(lib, 'manifest.json')]) chownSync(p, UID, UID);
  const before = tree(mallory);
  for (const args of [['uninstall', '--user'], ['install', '--uninstall', '--user']]) {
    const r = await s.docker(mallory, args);
    t.is(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, new RegExp(`refusing to uninstall --user as root under ${mallory}`));
    t.is(readFileSync(victim, 'utf8'), 'root\'s file\n', `${args.join(' ')}: the file it names is still there`);
    t.deepEqual(tree(mallory), before);
  }
  // and mallory herself, with her own manifest: a file outside our folders is refused (exit 5) before anything goes
  const own = await capture(['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', s.exe, 'uninstall', '--user'], { env: s.env(mallory) });
  t.is(own.code, 5, own.stderr);
  t.regex(own.stderr, /was not written by docker ipv6 install: it lists ".*victim", which is not a file install puts in place/);
});
