// enable with a local Docker that is down (issue 12, defect 9), against the strict fakes: the plan says Docker
// is down and why, the "experimental" key is fixed for 20.10/26 and Docker started, a start that fails is rolled
// back byte for byte with Docker left down, and causes outside our keys are refused with the real reason.
import test from 'ava';
import { existsSync } from 'node:fs';
import { runEnable } from '../../../src/enable/enable';
import { ConfigError, PreconditionError, RolledBackError, UsageError, isToolError } from '../../../src/errors';
import { dockerVersionAtLeast } from '../../../src/daemon/version';
import { toolUndoRegistry, type RestartUndo } from '../../../src/transaction/tool-undo';
import { fakeRun, type FakeRun } from '../../fakes/run';
import { resolveGlobals } from '../../../src/cli/globals';
import { RunContext } from '../../../src/cli/context';

/** The common guide's daemon.json: 20.10 and 26 exit at start with it ("ip6tables ... experimental"). */
const GUIDE = '{\n  "ipv6": true,\n  "fixed-cidr-v6": "fd00:dead:beef::/64",\n  "ip6tables": true\n}\n';
const PREFIX = 'fd00:dead:beef::/48';

/**
 * A host whose dockerd is down, with daemon.json `text`. The fake dockerd starts as the real one does: it exits
 * on "ip6tables": true without "experimental" before 27, and on a key it does not know ("bogus-key").
 */
function downRun(t: import('ava').ExecutionContext, text: string, version = '20.10.24+dfsg1', opts: { json?: boolean; dryRun?: boolean } = {}): FakeRun {
  const base = fakeRun();
  t.teardown(base.cleanup);
  const r: FakeRun = { ...base, ctx: new RunContext(resolveGlobals({ root: base.root, restartCommand: 'systemctl restart docker.service', yes: true, json: opts.json, dryRun: opts.dryRun }, {}), { hosts: [] } as never, { DOCKER_HOST: 'unix:///var/run/docker.sock' }, base.out, base.err).withHost(base.fake.host) };
  const { fake } = r;
  fake.daemon.editBehindOurBack(text);
  fake.docker.down = true;
  fake.dockerd.procs = [];
  fake.dockerd.binary = { path: 'dockerd', version };
  const starts = fake.dockerd.onRestart!;
  fake.dockerd.onRestart = async () => {
    fake.docker.down = true;
    fake.dockerd.procs = [];
    const cfg = JSON.parse(fake.daemon.text ?? '{}') as Record<string, unknown>;
    if (cfg.ip6tables === true && cfg.experimental !== true && !dockerVersionAtLeast(version, '27.0')) {
      throw new PreconditionError('dockerd did not come back within 60 s: ip6tables rules are only available if experimental features are enabled (fake)');
    }
    if ('bogus-key' in cfg) throw new PreconditionError('dockerd did not come back within 60 s: the following directives don\'t match any configuration option: bogus-key (fake)');
    await starts();
    fake.docker.down = false;
    fake.dockerd.procs = [{ pid: 77, argv: ['/usr/sbin/dockerd', '--config-file', fake.daemon.path] }];
  };
  return r;
}

const changes = (r: FakeRun) => r.fake.log.filter((l) => !/^docker |^dockerd --version/.test(l));

test('plan while down (text): Docker is down, why (dockerd\'s own rule for its version), what is rewritten, what is not checked; nothing changes', async (t) => {
  const r = downRun(t, GUIDE, '20.10.24+dfsg1', { dryRun: true });
  await runEnable(r.ctx, { prefix: PREFIX });
  const out = r.out.text;
  t.regex(out, /^Docker {3}down: no dockerd runs with .*daemon\.json; planned for dockerd 20\.10\.24\+dfsg1 \(dockerd --version\)$/m);
  t.regex(out, /why: dockerd 20\.10\.24\+dfsg1 refuses "ip6tables": true without "experimental": true/);
  t.regex(out, /^ {2}fix: enable rewrites keys it owns \("experimental", "default-address-pools"\); the new daemon\.json passes those checks$/m);
  t.regex(out, /^ {2}"experimental": true$/m, 'the key that brings it up is in the plan');
  t.regex(out, /not checked while Docker is down:\n {4}- subnet conflicts with Docker's networks: checked right after Docker starts/);
  t.regex(out, /\d+\. start dockerd, which is down \(systemctl restart docker\.service\), and wait for it/);
  t.regex(out, /\d+\. check fd00:dead:beef::\/48 against Docker's networks/);
  t.regex(out, /dry run: nothing was changed/);
  t.deepEqual(changes(r), [], 'a dry run changes nothing');
  t.is(r.fake.daemon.text, GUIDE);
  t.is(r.fake.dockerd.restarts.length, 0);
  t.notRegex(out + r.err.text, /systemctl start/);
});

test('plan while down (--json): the same facts as data', async (t) => {
  const r = downRun(t, GUIDE, '26.1.5+dfsg1', { json: true, dryRun: true });
  await runEnable(r.ctx, { prefix: PREFIX });
  const j = JSON.parse(r.out.text) as Record<string, any>;
  t.is(j.dockerDown.version, '26.1.5+dfsg1');
  t.is(j.dockerDown.versionFrom, 'dockerd --version');
  t.regex(j.dockerDown.reason, /ip6tables rules are only available if experimental features are enabled/);
  t.deepEqual(j.dockerDown.keys, ['ip6tables']);
  t.true(j.dockerDown.unchecked.some((u: string) => /subnet conflicts with Docker's networks/.test(u)));
  t.is(j.daemonJson.set.experimental, true);
  t.true(j.restart);
  const ids = j.steps.map((s: { id: string }) => s.id);
  t.true(ids.indexOf('restart-dockerd') < ids.indexOf('check-docker-networks'), 'the networks are checked once Docker runs');
  t.regex(j.planId, /^[0-9a-f]+$/);
  t.deepEqual(changes(r), []);
});

for (const version of ['20.10.24+dfsg1', '26.1.5+dfsg1']) {
  test(`down on ${version} because of "ip6tables" without "experimental": enable fixes the key, starts Docker, verifies`, async (t) => {
    const r = downRun(t, GUIDE, version);
    await runEnable(r.ctx, { prefix: PREFIX });
    const { fake } = r;
    const cfg = JSON.parse(fake.daemon.text!) as Record<string, unknown>;
    t.is(cfg.experimental, true);
    t.is(cfg.ip6tables, true);
    t.is(cfg['fixed-cidr-v6'], 'fd00:dead:beef::/64', 'their bridge prefix kept (the first /64 of the /48 given)');
    t.is(fake.dockerd.restarts.length, 1, 'started once');
    t.false(fake.docker.down, 'Docker answers');
    t.true(fake.docker.bridge().EnableIPv6);
    t.true(fake.docker.calls.includes('listNetworks'), 'the networks were checked after the start');
    t.like(fake.state.value, { prefix: PREFIX, mode: 'nat' });
    t.false(existsSync(r.ctx.paths.journalFile));
    t.regex(r.out.text, /IPv6 enabled: prefix fd00:dead:beef::\/48/);
    t.regex(r.out.text, /Docker was down before enable \(dockerd .* refuses "ip6tables": true without "experimental": true/);
    t.regex(r.err.text, /Docker is down \(dockerd /);
  });
}

test('the start still fails (a key dockerd 20.10 rejects and no rule of ours knows): rolled back byte for byte, Docker left down as it was', async (t) => {
  const text = '{\n  "ipv6": true,\n  "fixed-cidr-v6": "fd00:dead:beef::/64",\n  "ip6tables": true,\n  "bogus-key": 1\n}\n';
  const r = downRun(t, text);
  const sysctls = r.fake.sysctl.snapshot();
  const e = await t.throwsAsync(runEnable(r.ctx, { prefix: PREFIX }), { instanceOf: RolledBackError });
  const { fake } = r;
  t.is(fake.daemon.text, text, 'daemon.json byte for byte');
  t.is(fake.dockerd.restarts.length, 1, 'no second start with the file it did not start with');
  t.true(fake.docker.down, 'Docker down, as it was');
  t.deepEqual(fake.sysctl.snapshot(), sysctls);
  t.is(fake.state.writes.length, 0);
  t.false(existsSync(r.ctx.paths.journalFile));
  t.regex(e!.message, /did not start with the new daemon\.json either \(it was down before docker ipv6 enable\): .*bogus-key/);
  t.regex(e!.message, /did not restart dockerd: Docker was already down before docker ipv6 enable.*left down, as it was/);
  t.regex((e as RolledBackError).hint ?? '', /journalctl -u docker/);
  t.is((e as RolledBackError).exitCode, 1);
});

test('malformed daemon.json while down: refused with the parser\'s position and a hint that works; nothing changed', async (t) => {
  const text = '{\n  "ipv6": true,\n  "ip6tables": true,\n}\n';
  const r = downRun(t, text);
  const e = await t.throwsAsync(runEnable(r.ctx, { prefix: PREFIX }), { instanceOf: ConfigError });
  t.regex(e!.message, /^Docker is down, and dockerd cannot start with .*daemon\.json: .*daemon\.json:4:1: invalid character '}' looking for beginning of object key string/);
  t.regex((e as ConfigError).hint!, /fix .*daemon\.json by hand .* then run docker ipv6 enable again: it starts Docker/);
  t.notRegex((e as ConfigError).hint!, /systemctl|service docker/);
  t.is((e as ConfigError).exitCode, 5);
  t.is(r.fake.daemon.text, text);
  t.deepEqual(changes(r), []);
});

test('down because of a key we do not own, told by dockerd --validate: refused with dockerd\'s words, nothing changed, no start', async (t) => {
  const text = '{\n  "bogus-key": 1\n}\n';
  const r = downRun(t, text, '26.1.5+dfsg1');
  r.fake.dockerd.binary!.validate = (s) => (s.includes('bogus-key') ? 'unable to configure the Docker daemon with file daemon.json: the following directives don\'t match any configuration option: bogus-key' : undefined);
  const e = await t.throwsAsync(runEnable(r.ctx, { prefix: PREFIX }), { instanceOf: ConfigError });
  t.regex(e!.message, /^Docker is down, and dockerd 26\.1\.5\+dfsg1 would not start with .* after enable's changes either: .*don't match any configuration option: bogus-key; that is not a key docker-ipv6 writes/);
  t.regex((e as ConfigError).hint!, /by hand .*then run docker ipv6 enable again/);
  t.is(r.fake.daemon.text, text);
  t.is(r.fake.dockerd.restarts.length, 0);
  t.deepEqual(changes(r), []);
});

test('down, and --dockerd names no binary: refused before planning, with a hint to name the right one', async (t) => {
  const r = downRun(t, GUIDE);
  r.fake.dockerd.binary = { path: '/opt/other/dockerd', version: '20.10.24' };
  const e = await t.throwsAsync(runEnable(r.ctx, { prefix: PREFIX }), { instanceOf: PreconditionError });
  t.regex(e!.message, /cannot read the version of dockerd/);
  t.regex((e as PreconditionError).hint!, /--dockerd PATH/);
  t.deepEqual(changes(r), []);
});

test('Docker started, then a network of its own overlaps the prefix: everything rolled back and Docker down again, as it was', async (t) => {
  const r = downRun(t, GUIDE);
  // a user network Docker brings back once it runs, inside the prefix the user gave
  r.fake.docker.networks.push({ Id: 'n1'.padEnd(64, '0'), Name: 'theirs', Driver: 'bridge', EnableIPv6: true, Options: {}, IPAM: { Config: [{ Subnet: '172.30.0.0/16' }, { Subnet: 'fd00:dead:beef:77::/64' }] } });
  const e = await t.throwsAsync(runEnable(r.ctx, { prefix: PREFIX }), { instanceOf: RolledBackError });
  t.regex(e!.message, /overlaps Docker's network "theirs" \(fd00:dead:beef:77::\/64\), seen once Docker started/);
  t.is(r.fake.daemon.text, GUIDE, 'daemon.json byte for byte');
  t.is(r.fake.dockerd.restarts.length, 2, 'the rollback restarted dockerd with the restored file');
  t.true(r.fake.docker.down, 'which stops it again: the state enable found');
  t.regex(e!.message, /Docker was down before the run and does not start with the restored daemon\.json either: left down, as it was/);
  t.notRegex(e!.message, /could NOT be restored/);
  t.is(r.fake.state.writes.length, 0);
});

test('Docker does not answer but its dockerd runs (slow, hung, or refusing us): refused as before, and the hint sends nobody to "systemctl start"', async (t) => {
  const r = downRun(t, GUIDE);
  r.fake.dockerd.procs = [{ pid: 5, argv: ['/usr/sbin/dockerd', '--config-file', r.fake.daemon.path] }];
  const e = await t.throwsAsync(runEnable(r.ctx, { prefix: PREFIX }), { instanceOf: PreconditionError });
  t.regex(e!.message, /daemon is down|refused/);
  t.notRegex((e as PreconditionError).hint ?? '', /systemctl start|start it/);
  t.deepEqual(changes(r), []);
});

test('recovery of a killed run: a restart record of a Docker that was down tolerates the failed start (left down), others still fail', async (t) => {
  const r = fakeRun();
  t.teardown(r.cleanup);
  const reg = toolUndoRegistry(r.ctx);
  const rec: RestartUndo = { kind: 'restart', command: ['systemctl', 'restart', 'docker'], endpoint: { host: 'unix:///var/run/docker.sock', source: 'default', local: true }, networks: 0, wasDown: true };
  r.fake.dockerd.failNext(2);
  await reg.undo(rec);
  t.regex(reg.describe(rec, ''), /left down, as it was/);
  const e = await t.throwsAsync(reg.undo({ ...rec, wasDown: undefined } as RestartUndo));
  t.true(isToolError(e));
  t.false(e instanceof UsageError);
});
