// Fault suite, kernel and firewall: a default route learnt from router advertisements (radvd in the lab's
// upstream), a bad rule inside a restore batch, the xtables lock held, our chain flushed by another tool.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandError } from '../../src/errors';
import { Ip6tables } from '../../src/host/ip6tables';
import { run } from '../../src/util/exec';
import { capture, REPO, type Lab } from '../helpers/lab';
import { faultSuite, ok, restartWrapper, rules, spawnTool, sysctl, waitFor } from '../helpers/faults';

const suite = faultSuite(test, { group: 'kernel and firewall', file: 'test/integration/faults-net.test.ts', lab: { docker: '28', prefix: 'fnt' } });
const cfgOf = () => suite.lab.record.dockerd.configFile;
const keepCfg = { keep: () => [cfgOf()] };

function expires(route: string): number {
  return Number(/expires (\d+)sec/.exec(route)?.[1] ?? -1);
}

async function defaultRoute(lab: Lab): Promise<string> {
  return (await lab.host(['ip', '-6', 'route', 'show', 'default'])).stdout.trim();
}

/** radvd on the upstream's link to the host: a default router lifetime, RAs every 3-4 s. */
function startRadvd(lab: Lab): { proc: ChildProcess; pidFile: string } {
  const conf = join(lab.dir, 'radvd.conf');
  const pidFile = join(lab.dir, 'radvd.pid');
  writeFileSync(conf, 'interface host0 {\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 4;\n  AdvDefaultLifetime 60;\n  prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous off; };\n};\n', { mode: 0o644 });
  const proc = spawn('nsenter', [`--net=/var/run/netns/${lab.record.namespaces.upstream}`, 'radvd', '-n', '-C', conf, '-p', pidFile, '-m', 'stderr'], { stdio: 'ignore' });
  return { proc, pidFile };
}

async function withRaRoute(lab: Lab, fn: (radvd: { pidFile: string; restart(): void }) => Promise<void>): Promise<void> {
  let radvd = startRadvd(lab);
  await lab.host(['ip', '-6', 'route', 'del', 'default']);
  try {
    await waitFor('a default route learnt from an RA', async () => / proto ra /.test(await defaultRoute(lab)), 20_000);
    await fn({ pidFile: radvd.pidFile, restart: () => { radvd = startRadvd(lab); } });
  } finally {
    radvd.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await lab.host(['ip', '-6', 'route', 'del', 'default']);
    await lab.host(['ip', '-6', 'route', 'add', 'default', 'via', lab.record.addresses.upstream6]);
  }
}

suite.scenario('an RA-learnt default route: accept_ra=2 before forwarding, the route survives enable', { fault: 'the host learns its default route from router advertisements (accept_ra=1)', ...keepCfg }, async (t, lab) => {
  await withRaRoute(lab, async () => {
    t.is(await sysctl(lab, 'net.ipv6.conf.eth0.accept_ra'), '1');
    const r = await lab.exec(['enable', '--yes']);
    t.is(r.code, 0, r.stderr);
    const ra = r.stderr.indexOf('sysctl net.ipv6.conf.eth0.accept_ra = 2');
    t.true(ra >= 0, r.stderr);
    t.true(ra < r.stderr.indexOf('sysctl net.ipv6.conf.all.forwarding = 1'), 'accept_ra=2 comes before forwarding');
    t.is(await sysctl(lab, 'net.ipv6.conf.all.forwarding'), '1');
    t.regex(await defaultRoute(lab), / proto ra /, 'the default route is still there');
    await new Promise((res) => setTimeout(res, 6000));
    t.true(expires(await defaultRoute(lab)) >= 55, `refreshed by the RAs that keep coming: ${await defaultRoute(lab)}`);
    await ok(lab, ['disable', '--yes']);
    t.is(await sysctl(lab, 'net.ipv6.conf.eth0.accept_ra'), '1');
    t.regex(await defaultRoute(lab), / proto ra /);
    // the fault is real: with forwarding on and accept_ra=1 the kernel ignores RAs, the route is no longer
    // refreshed and expires (the lifetime is 60 s, RAs come every 3-4 s)
    try {
      await lab.host(['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
      await new Promise((res) => setTimeout(res, 6000));
      const stale = await defaultRoute(lab);
      t.true(stale === '' || expires(stale) <= 54, `without accept_ra=2 the RAs are ignored: ${stale}`);
    } finally {
      await lab.host(['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=0', 'net.ipv6.conf.default.forwarding=0']);
    }
  });
});

suite.scenario('the RA default route disappears during the restart anyway: enable rolls back', { fault: 'the router stops advertising (radvd exits, lifetime 0) while dockerd restarts', ...keepCfg }, async (t, lab) => {
  await withRaRoute(lab, async (radvd) => {
    const original = readFileSync(cfgOf(), 'utf8');
    const wrapper = restartWrapper(lab, 'router-gone', `kill $(cat ${radvd.pidFile}); sleep 1\nexec ${join(REPO, 'dist/docker-ipv6')} lab restart ${lab.name}`);
    const r = await lab.exec(['enable', '--yes', '--restart-command', wrapper]);
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, /lost its IPv6 default route during the dockerd restart/);
    t.regex(r.stderr, /restored net\.ipv6\.conf\.eth0\.accept_ra = 1/);
    t.is(readFileSync(cfgOf(), 'utf8'), original);
    t.is(await sysctl(lab, 'net.ipv6.conf.all.forwarding'), '0');
    radvd.restart();
    await waitFor('the RA default route back once the router advertises again', async () => / proto ra /.test(await defaultRoute(lab)), 20_000);
    t.pass();
  });
});

const nsRunner = (lab: Lab) => (argv: readonly string[], o?: Parameters<typeof run>[1]) => run(['nsenter', `--net=/var/run/netns/${lab.record.namespaces.host}`, ...argv], o);

suite.scenario('one bad rule in a restore batch: nothing of the batch is applied', { fault: 'a batch that rewrites D6-FORWARD holds one invalid rule', ...keepCfg }, async (t, lab) => {
  await ok(lab, ['enable', '--yes', '--prefix', '2001:db8:2::/48']);
  try {
    const before = await rules(lab);
    t.regex(before, /-A D6-FORWARD /);
    const batch = ['*filter', ':D6-FORWARD - [0:0]', '-A D6-FORWARD -p ipv6-icmp -j ACCEPT', '-A D6-FORWARD -p tcp --dport 99999 -j ACCEPT', '-A D6-FORWARD -j DROP', 'COMMIT', ''].join('\n');
    const e = await t.throwsAsync(new Ip6tables(nsRunner(lab)).restore(batch), { instanceOf: CommandError });
    t.regex(e!.message, /ip6tables-restore -w 10 --noflush exited \d/);
    t.regex(e!.message, /line:? 4/i, 'the bad line is named');
    t.is(await rules(lab), before, 'D6-FORWARD and everything else unchanged');
  } finally {
    await ok(lab, ['disable', '--yes']);
  }
});

suite.scenario('the xtables lock held by another program: a bounded wait, then a clear retryable error', { fault: 'another program holds /run/xtables.lock (legacy backend, private /run in the lab)' }, async (t, lab) => {
  // outside /run (the lab's folder is under /run, which the private tmpfs below hides)
  const tmp = mkdtempSync(join(tmpdir(), 'd6-lockfault-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const batchFile = join(tmp, 'legacy-batch');
  writeFileSync(batchFile, '*filter\n:D6-LOCKTEST - [0:0]\n-A D6-LOCKTEST -j ACCEPT\nCOMMIT\n');
  // /run/xtables.lock is the machine's: a private mount namespace gets its own /run, so the lock held
  // here blocks nothing outside, and the legacy tables written are the lab namespace's own.
  // The holder keeps the lock until it is killed, and the child starts only once flock -n sees the lock
  // taken: the hold is measured from the child's own start, not from a sleep that node's start-up (1-3 s
  // under load) eats. XTABLES_LOCKFILE would move the tool's lock elsewhere, so it is unset.
  const inPrivateRun = (releaseAfterMs?: number) => capture(['nsenter', `--net=/var/run/netns/${lab.record.namespaces.host}`, 'unshare', '-m', '--propagation', 'private',
    'env', '-u', 'XTABLES_LOCKFILE', 'sh', '-c', [
      'mount -t tmpfs xtables-fault /run || exit 3',
      "sh -c 'exec 9>/run/xtables.lock && flock 9 && exec sleep 600' </dev/null >/dev/null 2>&1 &",
      'holder=$!',
      'i=0; while flock -n /run/xtables.lock true; do i=$((i+1)); if [ $i -ge 200 ]; then echo "the holder never took the lock" >&2; kill $holder; exit 3; fi; sleep 0.05; done',
      `cd ${REPO} && ${process.execPath} --import=tsx test/unit/faults/xtables-child.ts ${batchFile} $holder ${releaseAfterMs ?? ''}`,
      'rc=$?; kill $holder 2>/dev/null; exit $rc',
    ].join('\n')]);
  const held = await inPrivateRun();
  const r = JSON.parse(held.stdout.trim().split('\n').pop()!);
  t.false(r.ok, held.stdout + held.stderr);
  t.is(r.kind, 'command');
  t.regex(r.message, /exited 4 \(xtables lock held by another program \(retry\)\)/);
  t.regex(r.message, /Stopped waiting after 10s/);
  t.true(r.ms >= 9_500 && r.ms < 14_000, `waited ${r.ms} ms: bounded by -w 10`);
  const brief = await inPrivateRun(2_000);
  const b = JSON.parse(brief.stdout.trim().split('\n').pop()!);
  t.true(b.ok, brief.stdout + brief.stderr);
  t.true(b.ms >= 1_900 && b.ms < 9_500, `waited for the lock released after 2 s (${b.ms} ms) and then applied`);
  t.log(`lock held: gave up after ${r.ms} ms; released after 2 s: applied after ${b.ms} ms`);
  const legacy = await lab.host(['ip6tables-legacy-save', '-t', 'filter']);
  t.regex(legacy.stdout, /:D6-LOCKTEST/);
  await lab.host(['sh', '-c', 'ip6tables-legacy -F D6-LOCKTEST && ip6tables-legacy -X D6-LOCKTEST']);
});

suite.scenario('our chain flushed by another tool: doctor reports it, apply and the agent repair it', { fault: 'ip6tables -F D6-FORWARD by someone else', ...keepCfg }, async (t, lab) => {
  await ok(lab, ['enable', '--yes', '--prefix', '2001:db8:2::/48']);
  try {
    const good = await rules(lab);
    const flush = async () => {
      const f = await lab.host(['ip6tables', '-F', 'D6-FORWARD']);
      t.is(f.code, 0, f.stderr);
      t.notRegex(await rules(lab), /-A D6-FORWARD /);
    };
    await flush();
    const doc = await lab.exec(['doctor', '--json']);
    const findings = JSON.parse(doc.stdout).findings as Array<{ id: string; status: string; detail: string }>;
    const unf = findings.filter((f) => f.id === 'firewall.unfiltered');
    t.true(unf.some((f) => f.status === 'fail'), `doctor reports the open network: ${JSON.stringify(unf)}`);
    t.not(doc.code, 0, 'doctor exits non-zero meanwhile');
    const ap = await ok(lab, ['apply']);
    t.regex(ap, /changed:/);
    t.is(await rules(lab), good, 'apply put the chain back exactly');
    t.regex(await ok(lab, ['apply']), /nothing to change/, 'and a second apply changes nothing');

    await flush();
    const agent = spawnTool(lab, ['agent', '--interval', '500ms']);
    try {
      await waitFor('the agent to repair D6-FORWARD', async () => (await rules(lab)) === good, 20_000);
      t.pass('the agent repaired the chain');
    } finally {
      process.kill(-agent.pid, 'SIGTERM');
      await agent.done;
    }
    const after = JSON.parse((await lab.exec(['doctor', '--json'])).stdout).findings as Array<{ id: string; status: string }>;
    t.false(after.some((f) => f.id === 'firewall.unfiltered' && f.status === 'fail'), 'doctor is satisfied again');
  } finally {
    await ok(lab, ['disable', '--yes']);
  }
});
