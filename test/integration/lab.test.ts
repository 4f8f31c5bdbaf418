// The lab itself, on every Docker version we support: up, status, exec, restart, down, and the
// proof that down leaves no namespace, process, mount or folder behind.
import test, { type ExecutionContext } from 'ava';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { capture, cli, labDownSafely, uniqueName } from '../helpers/lab';
import { cachedDockerd, parseDockerdVersion } from '../../src/lab/versions';
import { splitCommand } from '../../src/cli/globals';
import { labBase, type LabRecord } from '../../src/lab/record';

/** The dockerd each version runs; a missing cache fails the test (it is fetched once, never skipped). */
async function dockerdFor(t: ExecutionContext, version: string): Promise<{ path: string; binaryVersion: string } | undefined> {
  let path = '/usr/sbin/dockerd';
  if (version !== '20') {
    path = cachedDockerd(version);
    if (!existsSync(path)) {
      t.fail(`dockerd ${version}.x is missing at ${path}: run scripts/fetch-docker.sh first`);
      return undefined;
    }
  }
  const r = await capture([path, '--version']);
  t.is(r.code, 0, r.stderr);
  const binaryVersion = parseDockerdVersion(r.stdout);
  t.truthy(binaryVersion, r.stdout);
  t.true(binaryVersion!.startsWith(`${version}.`), `${path} is ${binaryVersion}, not ${version}.x`);
  return { path, binaryVersion: binaryVersion! };
}

function netnsList(): string[] {
  return existsSync('/var/run/netns') ? readdirSync('/var/run/netns') : [];
}

/** Processes that belong to the lab: inside its namespaces or naming its folder on their command line. */
function labProcesses(rec: LabRecord, inodes: Set<string>): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const ns = readlinkSync(`/proc/${p}/ns/net`);
      if (inodes.has(ns) || cmd.includes(`${rec.dir}/`)) out.push(`${p}: ${cmd}`);
    } catch { /* exited */ }
  }
  return out;
}

/** What /proc/PID/ns/net shows for processes in the namespace behind a netns file. */
function netnsId(path: string): string | undefined {
  try { return `net:[${statSync(path).ino}]`; } catch { return undefined; }
}

for (const version of ['20', '26', '28', '29']) {
  test.serial(`lab up / status / exec / down on dockerd ${version}`, async (t) => {
    const bin = await dockerdFor(t, version);
    if (!bin) return;
    const name = uniqueName(`lab${version}`);
    t.teardown(() => labDownSafely(name));

    const up = await cli(['lab', 'up', name, '--docker', version, '--json']);
    t.is(up.code, 0, up.stderr);
    const rec = JSON.parse(up.stdout) as LabRecord;
    t.is(rec.name, name);
    t.is(rec.dockerd.path, bin.path);
    t.is(rec.dockerd.version, bin.binaryVersion, 'the daemon reports the version of the binary it runs');

    const st = await cli(['lab', 'status', name, '--json']);
    t.is(st.code, 0, st.stderr);
    const [s] = (JSON.parse(st.stdout) as { labs: Array<{ name: string; state: string; dockerd: { version: string; alive: boolean; responding: boolean; pid: number }; namespaces: Array<{ name: string; present: boolean }> }> }).labs;
    t.is(s.name, name);
    t.is(s.state, 'running');
    t.is(s.dockerd.version, bin.binaryVersion);
    t.true(s.dockerd.alive && s.dockerd.responding);
    t.deepEqual(s.namespaces.map((n) => [n.name, n.present]), [[`${name}-up`, true], [`${name}-host`, true]]);
    t.true(netnsList().includes(`${name}-up`) && netnsList().includes(`${name}-host`));

    // the lab status listing (no name) includes it too
    const all = await cli(['lab', 'status']);
    t.regex(all.stdout, new RegExp(`^${name}\\s+running\\s+${bin.binaryVersion.replace(/[+.]/g, '\\$&')}`, 'm'));

    // the image exists, and runs
    const img = await cli(['lab', 'exec', name, '--', 'docker', 'image', 'inspect', '--format', '{{.Id}}', 'local/busybox:1']);
    t.is(img.code, 0, img.stderr);
    t.regex(img.stdout, /^sha256:/);
    const ver = await cli(['lab', 'exec', name, '--', 'docker', 'version', '--format', '{{.Server.Version}}']);
    t.is(ver.stdout.trim(), bin.binaryVersion);

    // the link works: upstream reaches the host's link address, the host reaches the "internet"
    const p6 = await cli(['lab', 'upstream', name, '--', 'busybox', 'ping6', '-c1', '-W2', rec.addresses.host6]);
    t.is(p6.code, 0, p6.stdout + p6.stderr);
    const pi = await cli(['lab', 'exec', name, '--', 'busybox', 'ping', '-c1', '-W2', rec.addresses.internet6]);
    t.is(pi.code, 0, pi.stdout + pi.stderr);

    // exit codes pass through exec
    const ex = await cli(['lab', 'exec', name, '--', 'busybox', 'sh', '-c', 'exit 7']);
    t.is(ex.code, 7);

    // a running container leaves mounts and a process: down must remove them too
    const run = await cli(['lab', 'exec', name, '--', 'docker', 'run', '-d', 'local/busybox:1', 'sleep', '600']);
    t.is(run.code, 0, run.stderr);
    const inodes = new Set([netnsId(`/var/run/netns/${name}-up`), netnsId(`/var/run/netns/${name}-host`)].filter((x): x is string => !!x));
    t.is(inodes.size, 2);
    t.true(labProcesses(rec, inodes).length > 0, 'dockerd is seen by the leftover check');
    t.true(readFileSync('/proc/self/mountinfo', 'utf8').includes(rec.dir));

    const down = await cli(['lab', 'down', name]);
    t.is(down.code, 0, down.stderr);
    t.false(netnsList().includes(`${name}-up`));
    t.false(netnsList().includes(`${name}-host`));
    t.false(existsSync(rec.dir), 'lab folder removed');
    t.false(readFileSync('/proc/self/mountinfo', 'utf8').includes(rec.dir), 'no mount under the lab folder');
    t.deepEqual(labProcesses(rec, inodes), [], 'no process of the lab remains');
    t.false(existsSync(`/proc/${s.dockerd.pid}`) && readFileSync(`/proc/${s.dockerd.pid}/cmdline`, 'utf8').includes(rec.dir));

    // idempotent
    const again = await cli(['lab', 'down', name]);
    t.is(again.code, 0, again.stderr);
  });
}

test.serial('lab restart: fails with the daemon\'s words on a bad daemon.json, recovers when fixed', async (t) => {
  const name = uniqueName('rst');
  t.teardown(() => labDownSafely(name));
  const up = await cli(['lab', 'up', name, '--json']);
  t.is(up.code, 0, up.stderr);
  const rec = JSON.parse(up.stdout) as LabRecord;
  const first = rec.dockerd.pid;

  const ok = await cli(['lab', 'restart', name]);
  t.is(ok.code, 0, ok.stderr);
  const after = JSON.parse((await cli(['lab', 'status', name, '--json'])).stdout).labs[0];
  t.is(after.state, 'running');
  t.not(after.dockerd.pid, first, 'a new dockerd process');

  // every supported version rejects an unknown directive at start
  writeFileSync(rec.dockerd.configFile, '{"no-such-directive": true}\n');
  const bad = await cli(['lab', 'restart', name]);
  t.not(bad.code, 0);
  t.regex(bad.stderr, /no-such-directive/);
  t.is(JSON.parse((await cli(['lab', 'status', name, '--json'])).stdout).labs[0].state, 'stopped');

  // the restart command lab exec hands the tool, split the way the tool splits it, does the same
  const env = await cli(['lab', 'exec', name, '--', 'printenv', 'DOCKER_IPV6_RESTART_COMMAND']);
  t.is(env.code, 0, env.stderr);
  const restartArgv = splitCommand(env.stdout.trim());
  const viaEnv = await capture(restartArgv);
  t.not(viaEnv.code, 0);
  t.regex(viaEnv.stderr, /no-such-directive/);

  writeFileSync(rec.dockerd.configFile, '{}\n');
  const fixed = await capture(restartArgv);
  t.is(fixed.code, 0, fixed.stderr);
  t.is(JSON.parse((await cli(['lab', 'status', name, '--json'])).stdout).labs[0].state, 'running');
});

test.serial('lab up that fails leaves nothing behind; with --keep, lab down removes the remains', async (t) => {
  const name = uniqueName('bad');
  t.teardown(() => labDownSafely(name));
  const up = await cli(['lab', 'up', name, '--daemon-json', '{"no-such-directive": 1}']);
  t.not(up.code, 0);
  t.regex(up.stderr, /no-such-directive/);
  t.false(netnsList().some((n) => n.startsWith(`${name}-`)));
  t.false(existsSync(`${labBase()}/${name}`));

  const kept = await cli(['lab', 'up', name, '--keep', '--daemon-json', '{"no-such-directive": 1}']);
  t.not(kept.code, 0);
  t.true(netnsList().includes(`${name}-host`));
  const st = JSON.parse((await cli(['lab', 'status', name, '--json'])).stdout).labs[0];
  t.is(st.state, 'stopped');
  const down = await cli(['lab', 'down', name]);
  t.is(down.code, 0, down.stderr);
  t.false(netnsList().some((n) => n.startsWith(`${name}-`)));
  t.false(existsSync(st.dir));
});

test.serial('lab up --dockerd PATH runs that binary; lab exec points the tool and PATH at the lab', async (t) => {
  const bin = await dockerdFor(t, '28');
  if (!bin) return;
  const name = uniqueName('cus');
  t.teardown(() => labDownSafely(name));
  const up = await cli(['lab', 'up', name, '--dockerd', bin.path, '--json']);
  t.is(up.code, 0, up.stderr);
  const rec = JSON.parse(up.stdout) as LabRecord;
  t.is(rec.docker, 'custom');
  t.is(rec.dockerd.version, bin.binaryVersion);

  const env = await cli(['lab', 'exec', name, '--', 'env']);
  t.is(env.code, 0, env.stderr);
  const vars = Object.fromEntries(env.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  t.is(vars.DOCKER_HOST, `unix://${rec.dockerd.socket}`);
  t.is(vars.DOCKER_IPV6_CONFIG_FILE, rec.dockerd.configFile);
  t.is(vars.DOCKER_IPV6_ROOT, rec.toolRoot);
  t.true(existsSync(rec.toolRoot));
  t.is(vars.DOCKER_IPV6_DOCKERD, bin.path);
  t.true(vars.PATH.startsWith(`${rec.dockerd.pathDirs.join(':')}:`), vars.PATH);
  t.regex(vars.DOCKER_IPV6_RESTART_COMMAND, new RegExp(`docker-ipv6 lab restart ${name}$`));

  // the command runs in the lab host: it sees eth0 with the lab's address, not this machine's
  const addr = await cli(['lab', 'exec', name, '--', 'ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global']);
  t.is(addr.code, 0, addr.stderr);
  t.regex(addr.stdout, /2001:db8:1::2\/64/);
  // and `docker ipv6` inside it is this build, talking to the lab's daemon
  const st = await cli(['lab', 'exec', name, '--', 'docker', 'ipv6', 'status', '--json']);
  t.is(st.code, 0, st.stderr);
  t.is((JSON.parse(st.stdout) as { daemon: { version: string } }).daemon.version, bin.binaryVersion);
});

test.serial('bad input is refused before anything is built', async (t) => {
  const r1 = await cli(['lab', 'up', 'Bad_Name']);
  t.is(r1.code, 2);
  t.regex(r1.stderr, /invalid lab name/);
  const r2 = await cli(['lab', 'up', uniqueName('x'), '--docker', '19']);
  t.is(r2.code, 2);
  const r3 = await cli(['lab', 'up', uniqueName('x'), '--daemon-json', '{not json']);
  t.is(r3.code, 2);
  const r4 = await cli(['lab', 'exec', uniqueName('none'), '--', 'true']);
  t.is(r4.code, 2);
  t.regex(r4.stderr, /no lab named/);
  const r5 = await cli(['lab', 'up', uniqueName('x'), '--docker', '28', '--firewall-backend', 'nftables']);
  t.is(r5.code, 2);
  t.regex(r5.stderr, /--firewall-backend needs Docker 29 or later/);
  const r6 = await cli(['lab', 'up', uniqueName('x'), '--docker', '29', '--firewall-backend', 'pf']);
  t.is(r6.code, 2);
  t.regex(r6.stderr, /must be iptables or nftables/);
});

test.serial('lab up --docker 29 --firewall-backend nftables: Docker filters in nftables, IPv4 forwarding on as it needs', async (t) => {
  const name = uniqueName('labnft');
  t.teardown(() => labDownSafely(name));
  const ownForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const up = await cli(['lab', 'up', name, '--docker', '29', '--firewall-backend', 'nftables', '--json']);
  t.is(up.code, 0, up.stderr);
  const rec = JSON.parse(up.stdout) as LabRecord;
  t.is(rec.firewallBackend, 'nftables');
  t.is(JSON.parse(readFileSync(rec.dockerd.configFile, 'utf8'))['firewall-backend'], 'nftables');
  const info = await cli(['lab', 'exec', name, '--', 'docker', 'info', '--format', '{{.FirewallBackend.Driver}}']);
  t.is(info.stdout.trim(), 'nftables', info.stderr);
  const tables = await cli(['lab', 'exec', name, '--', '/usr/sbin/nft', 'list', 'tables']);
  t.regex(tables.stdout, /table ip6 docker-bridges/);
  const fwd = await cli(['lab', 'exec', name, '--', 'cat', '/proc/sys/net/ipv4/ip_forward']);
  t.is(fwd.stdout.trim(), '1');
  t.is(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), ownForward, "only the lab's namespace: this machine's own forwarding is untouched");
});
