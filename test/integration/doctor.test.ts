// doctor on real dockerd inside lab namespaces: broken states one after another on one lab, --fix and a clean second run,
// Docker down / socket missing / daemon.json unparsable, and the guide's example daemon.json on 20.10.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { withLab, type Lab } from '../helpers/lab';
import { docker, has, ids, problems, runDoctor, sh, type Report } from './doctor-lab';

const doctor = (lab: Lab, args: string[] = []) => runDoctor(lab, args);

test('docker 20: the guide\'s example daemon.json stops dockerd; doctor names experimental, --fix brings Docker back with IPv6; unparsable file and missing socket', async (t) => {
  await withLab(t, { docker: '20', prefix: 'dg20' }, async (lab) => {
    const file = lab.record.dockerd.configFile;
    // a key that is also a dockerd flag: the next restart would fail
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(before), pidfile: '/run/other.pid' }));
    const conflict = await doctor(lab);
    t.is(conflict.code, 1);
    has(t, conflict.report, 'daemon.flag-conflicts', 'fail', /"pidfile" is both in daemon.json and a dockerd flag \(--pidfile\)/);

    writeFileSync(file, '{"ipv6": true, "fixed-cidr-v6": "fd00::/80", "experimental": false, "ip6tables": true}\n');
    const restart = await lab.lab(['restart']);
    t.not(restart.code, 0, 'dockerd 20.10 refuses the guide example');
    t.regex(restart.stderr, /ip6tables rules are only available if experimental features are enabled/);
    const down = await doctor(lab);
    t.is(down.code, 1, 'doctor runs with Docker down and exits 1');
    has(t, down.report, 'daemon.reachable', 'fail', /refused|not running|does not exist/);
    const exp = has(t, down.report, 'daemon.experimental', 'fail', /without "experimental": true on Docker 20\.10.*refuses to start/);
    t.deepEqual(exp.auto, { kind: 'daemon-keys', set: { experimental: true } });
    // fd00::/80 does not overlap the lab's uplink (2001:db8:1::2/64): the overlap check follows the host's facts
    t.falsy(down.report.findings.find((f) => f.id === 'daemon.fixed-cidr-v6' && f.status === 'fail'));
    const human = await lab.exec(['doctor'], { env: { NO_COLOR: '1' } });
    t.is(human.code, 1);
    t.regex(human.stdout, /daemon\n(.*\n)*\s+FAIL\s+"ip6tables": true without "experimental": true/);
    t.false(human.stdout.includes('\u001b['), 'no colour without a terminal');

    const fixed = await doctor(lab, ['--fix', '--yes']);
    t.is(fixed.code, 0, `after --fix nothing fails: ${JSON.stringify(problems(fixed.report))} ${JSON.stringify(fixed.report.fixErrors)}`);
    t.true(fixed.report.fixed!.some((f) => f.id === 'daemon.experimental'));
    const cfg = JSON.parse(readFileSync(file, 'utf8'));
    t.is(cfg.experimental, true);
    t.is(cfg.ipv6, true);
    const bridge = await docker(lab, ['network', 'inspect', 'bridge', '--format', '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{end}}']);
    t.regex(bridge, /^true .*[0-9a-f]+:[0-9a-f:]*\/\d+/, `Docker is back with IPv6: ${bridge}`);
    const again = await doctor(lab);
    t.is(again.code, 0);
    t.deepEqual(ids(again.report), [], 'the second run is clean');

    // daemon.json unparsable: dockerd cannot start, doctor names the position
    writeFileSync(file, '{"ipv6": true,,\n}\n');
    t.not((await lab.lab(['restart'])).code, 0);
    const bad = await doctor(lab);
    t.is(bad.code, 1);
    has(t, bad.report, 'daemon.config-parse', 'fail', /line 1, column \d+/);
    has(t, bad.report, 'daemon.reachable', 'fail', /daemon\.json does not parse/);
    // the socket is missing (a wrong -H): still a report, exit 1, the cause named
    const nosock = await lab.exec(['-H', `unix://${lab.dir}/missing.sock`, 'doctor', '--json']);
    t.is(nosock.code, 1);
    const r = JSON.parse(nosock.stdout) as Report;
    has(t, r, 'daemon.reachable', 'fail', /socket .*missing\.sock does not exist/);
    writeFileSync(file, `${JSON.stringify(cfg)}\n`);
    t.is((await lab.lab(['restart'])).code, 0);
  });
});

test('docker 28: a healthy enabled lab is all ok (with --probe); broken layer by layer, --fix repairs what is fixable, the rest is named', async (t) => {
  await withLab(t, { docker: '28', prefix: 'dh28' }, async (lab) => {
    const en = await lab.exec(['enable', '--yes']);
    t.is(en.code, 0, en.stderr);
    await docker(lab, ['network', 'create', '--ipv6', 'appnet']);
    await docker(lab, ['run', '-d', '--name', 'web', '--network', 'appnet', '-p', '8080:80', 'local/busybox:1', 'sh', '-c', 'while true; do echo hello | nc -l -p 80; done']);
    const healthy = await doctor(lab, ['--probe']);
    t.deepEqual(ids(healthy.report), [], JSON.stringify(problems(healthy.report), null, 1));
    t.is(healthy.code, 0);
    for (const id of ['dns.aaaa', 'outside.egress', 'ports.published']) {
      t.is(healthy.report.findings.find((f) => f.id === id)?.status, 'ok', `probe ${id}: ${JSON.stringify(healthy.report.findings.find((f) => f.id === id))}`);
    }

    // break one layer after another
    const sub = await docker(lab, ['network', 'inspect', 'appnet', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}']);
    const sub6 = sub.split(' ').find((s) => s.includes(':'))!;
    const br = `br-${(await docker(lab, ['network', 'inspect', 'appnet', '--format', '{{.Id}}'])).slice(0, 12)}`;
    await sh(lab, ['busybox', 'sysctl', '-w', 'net.ipv6.conf.all.forwarding=0']);
    await sh(lab, ['busybox', 'sysctl', '-w', 'net.ipv6.conf.eth0.accept_ra=1']);
    await sh(lab, ['ip', '-6', 'route', 'replace', 'default', 'via', '2001:db8:1::1', 'dev', 'eth0', 'proto', 'ra']);
    await sh(lab, ['ip6tables', '-t', 'nat', '-D', 'POSTROUTING', '-s', sub6, '!', '-o', br, '-j', 'MASQUERADE']);
    await sh(lab, ['ip6tables', '-P', 'FORWARD', 'DROP']);
    await sh(lab, ['ip6tables', '-D', 'FORWARD', '-j', 'DOCKER-FORWARD']);
    await docker(lab, ['network', 'create', 'plain4']);
    await docker(lab, ['run', '-d', '--name', 'v4only', '--network', 'plain4', '-p', '0.0.0.0:8081:80', 'local/busybox:1', 'sleep', '600']);
    await docker(lab, ['network', 'create', '--label', 'com.docker.compose.network=default', '--label', 'com.docker.compose.project=shop', 'shop_default']);
    const cfgFile = lab.record.dockerd.configFile;
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    writeFileSync(cfgFile, JSON.stringify({ ...cfg, experimental: true }, null, 2));

    const broken = await doctor(lab, ['--probe']);
    t.is(broken.code, 1);
    has(t, broken.report, 'kernel.forwarding', 'fail');
    has(t, broken.report, 'kernel.accept-ra', 'warn', /router advertisements with accept_ra=1/);
    has(t, broken.report, 'outside.ula-nat', 'fail', /"appnet" uses ULA/);
    has(t, broken.report, 'firewall.forward-drop', 'fail', new RegExp(`nothing accepts .*${br}`));
    has(t, broken.report, 'networks.ipv6-off', 'fail', /"plain4" has 1 container/);
    has(t, broken.report, 'networks.compose-ipv6', 'fail', /"default" of project "shop"/);
    has(t, broken.report, 'ports.ipv4-only', 'warn', /"v4only" publishes 8081\/tcp on 0\.0\.0\.0 only/);
    has(t, broken.report, 'daemon.restart-pending', 'warn', /"experimental" is true but the daemon runs with experimental false/);
    has(t, broken.report, 'outside.egress', 'fail', /no reply|cannot reach/);

    const fixed = await doctor(lab, ['--fix', '--yes']);
    t.deepEqual(fixed.report.fixErrors, []);
    t.deepEqual(ids(fixed.report), ['networks.compose-ipv6', 'networks.ipv6-off', 'ports.ipv4-only'], `only the fixes doctor may not make itself remain: ${JSON.stringify(problems(fixed.report), null, 1)}`);
    t.true(problems(fixed.report).every((f) => !f.auto && f.fix));
    t.is(await sh(lab, ['cat', '/proc/sys/net/ipv6/conf/eth0/accept_ra']), '2');
    // the ones a person fixes, done as doctor says; then the second run is clean
    await docker(lab, ['rm', '-f', 'v4only']);
    await docker(lab, ['network', 'rm', 'plain4', 'shop_default']);
    const clean = await doctor(lab, ['--probe']);
    t.is(clean.code, 0);
    t.deepEqual(ids(clean.report), [], JSON.stringify(problems(clean.report), null, 1));

    // last, the host layer (these take the lab's IPv6 away): no default route, IPv6 disabled on the uplink
    await sh(lab, ['ip', '-6', 'route', 'del', 'default']);
    const noroute = await doctor(lab);
    has(t, noroute.report, 'kernel.host-default-route', 'fail');
    await sh(lab, ['busybox', 'sysctl', '-w', 'net.ipv6.conf.eth0.disable_ipv6=1']);
    const off = await doctor(lab);
    t.is(off.code, 1);
    has(t, off.report, 'kernel.ipv6-disabled', 'fail', /net\.ipv6\.conf\.eth0\.disable_ipv6 = 1/);
    has(t, off.report, 'kernel.host-ipv6', 'fail', /no global IPv6 address on eth0/);
  });
});

test('docker 20: NDP mode loses its proxy entries and the forwarding filter; --fix re-applies enable\'s steps', async (t) => {
  await withLab(t, { docker: '20', prefix: 'dn20' }, async (lab) => {
    await docker(lab, ['run', '-d', '--restart', 'unless-stopped', '--stop-timeout', '1', '--name', 'web', 'local/busybox:1', 'sleep', '600']);
    const en = await lab.exec(['enable', '--yes', '--prefix', '2001:db8:1:0:8000::/80']);
    t.is(en.code, 0, en.stderr);
    // no agent runs here (the lab has no systemd, and this test breaks what the agent would repair): doctor says so
    const ok = await doctor(lab);
    t.deepEqual(ids(ok.report), ['firewall.agent'], JSON.stringify(problems(ok.report), null, 1));
    const addr = await docker(lab, ['inspect', 'web', '--format', '{{.NetworkSettings.GlobalIPv6Address}}']);
    await sh(lab, ['ip', '-6', 'neigh', 'del', 'proxy', addr, 'dev', 'eth0']);
    await sh(lab, ['ip6tables', '-D', 'FORWARD', '-m', 'comment', '--comment', 'docker-ipv6', '-j', 'D6-FORWARD']);
    const broken = await doctor(lab);
    t.is(broken.code, 1);
    has(t, broken.report, 'outside.ndp-proxy', 'fail', new RegExp(`for ${addr.replace(/\./g, '\\.')}`));
    has(t, broken.report, 'firewall.unfiltered', 'fail', /every container port on it is open/);
    has(t, broken.report, 'firewall.in-step', 'fail', /D6-FORWARD/);
    const fixed = await doctor(lab, ['--fix', '--yes']);
    t.deepEqual(fixed.report.fixErrors, []);
    t.deepEqual(ids(fixed.report), ['firewall.agent'], JSON.stringify([problems(fixed.report), fixed.report.fixErrors]));
    t.true((await sh(lab, ['ip', '-6', 'neigh', 'show', 'proxy'])).includes(addr));
    t.true((await sh(lab, ['ip6tables-save', '-t', 'filter'])).includes('-A FORWARD -m comment --comment docker-ipv6 -j D6-FORWARD'));
  });
});
