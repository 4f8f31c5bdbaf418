import test from 'ava';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configKeysAsDockerdSees, DAEMON_KEYS, findFlagConflicts, flagsToKeys, flagValue, parseDockerOpts, parseExecStart, pickDockerdFor, splitWords } from '../../../src/daemon/keys';
import { findDockerdProcesses, readDockerdArgv } from '../../../src/host/dockerd-procs';
import { cachedDockerd } from '../../../src/lab/versions';
import { run } from '../../../src/util/exec';

test('the table maps our keys to dockerd flags, named options included', (t) => {
  const by = Object.fromEntries(DAEMON_KEYS.map((k) => [k.key, k]));
  t.is(by['default-address-pools'].flag, 'default-address-pool');
  t.is(by.hosts.short, 'H');
  t.is(by.bridge.short, 'b');
  t.true(by.ipv6.bool && by.ip6tables.bool && by.experimental.bool);
  t.false(by['fixed-cidr-v6'].bool);
  t.deepEqual(DAEMON_KEYS.filter((k) => k.ours).map((k) => k.key).sort(), ['default-address-pools', 'experimental', 'fixed-cidr-v6', 'ip6tables', 'ipv6', 'mtu']);
});

test('flagsToKeys reads every flag form', (t) => {
  const argv = ['/usr/bin/dockerd', '-H', 'fd://', '--containerd=/run/containerd/containerd.sock', '--ipv6', '--fixed-cidr-v6', 'fd00::/64',
    '--ip6tables=false', '-bbr0', '--default-address-pool', 'base=10.0.0.0/8,size=24', '--label', '-weird-value', '--', '--experimental'];
  t.deepEqual(flagsToKeys(argv), [
    { key: 'hosts', flag: '-H' },
    { key: 'containerd', flag: '--containerd' },
    { key: 'ipv6', flag: '--ipv6' },
    { key: 'fixed-cidr-v6', flag: '--fixed-cidr-v6' },
    { key: 'ip6tables', flag: '--ip6tables' },
    { key: 'bridge', flag: '-b' },
    { key: 'default-address-pools', flag: '--default-address-pool' },
    { key: 'labels', flag: '--label' },
  ]);
});

test('findFlagConflicts: our keys get a fix that keeps them in the file', (t) => {
  const c = findFlagConflicts(['ipv6', 'fixed-cidr-v6', 'debug', 'runtimes'], ['dockerd', '--ipv6', '--debug', '--add-runtime', 'x=y', '--runtimes', 'x'], '/etc/docker/daemon.json');
  t.deepEqual(c.map((x) => [x.key, x.flag]), [['ipv6', '--ipv6'], ['debug', '--debug']]);
  t.regex(c[0].fix, /remove --ipv6 from dockerd's command line .*keep "ipv6" in \/etc\/docker\/daemon.json/);
  t.regex(c[1].fix, /set "debug" in one place only/);
  t.deepEqual(findFlagConflicts(['ipv6'], ['dockerd', '-H', 'fd://']), []);
  t.deepEqual(findFlagConflicts([], ['dockerd', '--ipv6']), []);
});

test('nested objects are flattened as dockerd does, except flat options', (t) => {
  t.deepEqual(configKeysAsDockerdSees({ ipv6: true, proxies: { 'http-proxy': 'x', 'no-proxy': 'y' }, 'log-opts': { 'max-size': '1m' }, dns: ['::1'] }).sort(),
    ['dns', 'http-proxy', 'ipv6', 'log-opts', 'no-proxy']);
});

test('findFlagConflicts finds exactly the keys real dockerd 26 and 28 refuse', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'daemon-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const value = { ipv6: true, 'fixed-cidr-v6': 'fd00:1::/64', 'default-address-pools': [{ base: 'fd00::/48', size: 64 }], bridge: 'br0', proxies: { 'http-proxy': 'http://x' }, debug: true };
  const file = join(dir, 'daemon.json');
  writeFileSync(file, JSON.stringify(value));
  const flags = ['--ipv6=false', '--default-address-pool', 'base=10.0.0.0/8,size=24', '-b', 'br1', '--http-proxy', 'http://y', '--experimental', '--log-level', 'info'];
  const ours = findFlagConflicts(configKeysAsDockerdSees(value), ['dockerd', ...flags]).map((c) => c.key).sort();
  t.deepEqual(ours, ['bridge', 'default-address-pools', 'http-proxy', 'ipv6']);
  for (const v of ['26', '28']) {
    const d = cachedDockerd(v);
    t.true(existsSync(d), `${d} is missing: run scripts/fetch-docker.sh (CI does)`);
    const r = await run([d, '--validate', '--config-file', file, ...flags], { okCodes: [1] });
    t.is(r.code, 1);
    const m = /specified both as a flag and in the configuration file: (.*)$/m.exec(r.stderr);
    t.truthy(m, r.stderr);
    const theirs = [...m![1].matchAll(/(?:^|, )([a-z0-9-]+): \(from flag/g)].map((x) => x[1]).sort();
    t.deepEqual(ours, theirs);
  }
});

test('readDockerdArgv and findDockerdProcesses against a fake /proc', async (t) => {
  const proc = mkdtempSync(join(tmpdir(), 'daemon-proc-'));
  t.teardown(() => rmSync(proc, { recursive: true, force: true }));
  const mk = (pid: number, comm: string, argv: string[]) => {
    mkdirSync(join(proc, String(pid)));
    writeFileSync(join(proc, String(pid), 'comm'), `${comm}\n`);
    writeFileSync(join(proc, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
  };
  mk(10, 'bash', ['bash']);
  mk(20, 'dockerd', ['/usr/sbin/dockerd', '-H', 'fd://', '--ipv6']);
  mk(30, 'dockerd', ['/opt/dockerd', '--config-file', '/lab/x/daemon.json']);
  mkdirSync(join(proc, 'self'));
  t.deepEqual(await readDockerdArgv(20, proc), ['/usr/sbin/dockerd', '-H', 'fd://', '--ipv6']);
  const all = await findDockerdProcesses({ procRoot: proc });
  t.deepEqual(all.map((p) => p.pid), [20, 30]);
  t.is(pickDockerdFor(all, '/etc/docker/daemon.json')?.pid, 20);
  t.is(pickDockerdFor(all, '/lab/x/../x/daemon.json')?.pid, 30);
  t.is(pickDockerdFor(all, '/nowhere.json'), undefined);
  const pidfile = join(proc, 'docker.pid');
  writeFileSync(pidfile, '30\n');
  t.deepEqual((await findDockerdProcesses({ procRoot: proc, pidfile })).map((p) => p.pid), [30]);
  writeFileSync(pidfile, '10\n'); // stale: names a process that is not dockerd
  t.deepEqual((await findDockerdProcesses({ procRoot: proc, pidfile })).map((p) => p.pid), [20, 30]);
  t.is(flagValue(['dockerd', '--config-file=/a', '--config-file', '/b'], 'config-file'), '/b');
});

test('findDockerdProcesses finds a real process named dockerd in /proc', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'daemon-real-'));
  const fake = join(dir, 'dockerd');
  copyFileSync('/bin/sh', fake); // a shell whose comm is "dockerd"; "; :" keeps it from exec-ing sleep
  const args = ['-c', 'sleep 30; :', 'dockerd', '--config-file', join(dir, 'daemon.json')];
  const child = spawn(fake, args, { stdio: 'ignore' });
  t.teardown(() => { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); });
  await new Promise((r) => setTimeout(r, 200));
  const found = await findDockerdProcesses();
  const me = found.find((p) => p.pid === child.pid);
  t.truthy(me);
  t.deepEqual(me!.argv, [fake, ...args]);
  t.is(pickDockerdFor(found, join(dir, 'daemon.json'))?.pid, child.pid);
});

test('ExecStart of a unit with a drop-in reset, and DOCKER_OPTS', (t) => {
  const unit = '[Service]\nType=notify\nExecStart=/usr/bin/dockerd -H fd:// \\\n  --containerd=/run/containerd/containerd.sock $DOCKER_OPTS\n';
  t.deepEqual(parseExecStart(unit), ['/usr/bin/dockerd', '-H', 'fd://', '--containerd=/run/containerd/containerd.sock', '$DOCKER_OPTS']);
  const dropIn = '[Service]\nExecStart=\nExecStart=-/usr/bin/dockerd --ipv6 --fixed-cidr-v6 "fd00::/64"\n';
  t.deepEqual(parseExecStart(unit, dropIn), ['/usr/bin/dockerd', '--ipv6', '--fixed-cidr-v6', 'fd00::/64']);
  t.is(parseExecStart(unit, '[Service]\nExecStart=\n'), undefined);
  t.deepEqual(parseDockerOpts('# comment\nDOCKER_OPTS="--dns 8.8.8.8"\nexport DOCKER_OPTS="--ipv6 --label \'a b\'"\n'), ['--ipv6', '--label', 'a b']);
  t.deepEqual(splitWords(`a "b c" 'd e' f\\ g`), ['a', 'b c', 'd e', 'f g']);
});
