// enable/disable on real dockerd 20.10, 26.x, 28.x and 29.x (with each of its firewall backends) inside lab
// namespaces: NAT66 with a generated ULA, idempotence, byte-exact disable, rollback on a failed restart, routed and
// NDP global prefixes.
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLab, CLI, type Lab } from '../helpers/lab';
import { peerSeenUpstream } from '../helpers/upstream';
import { restartWrapper } from '../helpers/faults';
import { dockerNftTable, firewallText, ourNftTable } from './agent-lab';

/** Each Docker the tool supports; 29 once with each firewall backend (iptables is its default). */
const VARIANTS: Array<{ v: string; fb?: 'iptables' | 'nftables'; label: string }> = [
  { v: '20', label: '20' }, { v: '26', label: '26' }, { v: '28', label: '28' },
  { v: '29', fb: 'iptables', label: '29-iptables' }, { v: '29', fb: 'nftables', label: '29-nftables' },
];
const INTERNET6 = '2001:db8:ffff::100';
const HOST6 = '2001:db8:1::2';

async function ok(lab: Lab, args: string[]): Promise<string> {
  const r = await lab.exec(args);
  if (r.code !== 0) throw new Error(`docker-ipv6 ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}
async function docker(lab: Lab, args: string[]): Promise<string> {
  const r = await lab.docker(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}
async function dockerdPid(lab: Lab): Promise<string> {
  return readFileSync(lab.record.dockerd.pidFile, 'utf8').trim();
}
/** ip6tables-save (filter and nat: Docker makes an empty raw table when it first publishes a port). */
async function save(lab: Lab): Promise<string> {
  const r = await lab.host(['sh', '-c', 'ip6tables-save -t filter; ip6tables-save -t nat']);
  return r.stdout.split('\n').filter((l) => !l.startsWith('#')).join('\n');
}
/** The native nftables tables of IPv6 (Docker's `ip6 docker-bridges` and ours), as `nft -s list` prints them. */
async function nativeNft(lab: Lab): Promise<string> {
  return `${await dockerNftTable(lab)}${await ourNftTable(lab)}`;
}

/**
 * Reads what a one-shot `nc -l` server in a container answers, from the upstream. The server loop
 * restarts nc after each connection, so a refused attempt right after another one is retried (bounded).
 */
async function fetchFromUpstream(lab: Lab, addr: string, port: number, attempts = 5): Promise<string> {
  let out = '';
  for (let i = 0; i < attempts && !out.includes('hello'); i++) {
    if (i) await new Promise((r) => setTimeout(r, 300));
    out = (await lab.upstream(['busybox', 'nc', '-w3', addr, String(port)], { input: '' })).stdout;
  }
  return out;
}

for (const { v, fb, label } of VARIANTS) {
  const labOpts = (prefix: string) => ({ docker: v, firewallBackend: fb, prefix: `${prefix}${label.replace('-iptables', 'i').replace('-nftables', 'n')}` });
  test(`docker ${label}: enable with a generated ULA, NAT66, idempotent, disable restores daemon.json byte for byte`, async (t) => {
    await withLab(t, { ...labOpts('en'), daemonJson: '{\n  "log-level": "warn"\n}\n' }, async (lab) => {
      const original = readFileSync(lab.record.dockerd.configFile, 'utf8');
      const firewallBefore = await save(lab) + await nativeNft(lab);
      const out = await ok(lab, ['enable', '--yes']);
      t.regex(out, /IPv6 enabled: prefix fd[0-9a-f:]+::\/48, mode nat/);
      const cfg = JSON.parse(readFileSync(lab.record.dockerd.configFile, 'utf8'));
      t.is(cfg['log-level'], 'warn', 'the unrelated key survives');
      t.is(cfg.ipv6, true);
      t.is(cfg.experimental === true, Number(v) < 27, 'experimental only where ip6tables needs it');
      if (fb) t.is(cfg['firewall-backend'], fb, 'the backend is the admin\'s, never changed');
      const status = JSON.parse(await ok(lab, ['status', '--json']));
      const bridge = status.networks.find((n: { name: string }) => n.name === 'bridge');
      t.true(bridge.enableIPv6);
      t.is(bridge.outside, 'nat-docker', 'Docker masquerades the bridge prefix; we add no rule of our own');
      t.false((await save(lab)).includes('D6-NAT'));
      t.is(await ourNftTable(lab), '', 'no table of ours in nftables: Docker does the NAT');
      if (fb === 'nftables') t.regex(await dockerNftTable(lab), /masquerade comment "MASQUERADE"/, "Docker's NAT66 is in its nftables table");

      // containers: AAAA by name, egress over IPv6, the upstream sees the host's address (NAT66)
      await docker(lab, ['network', 'create', '--ipv6', 'appnet']);
      const sub = await docker(lab, ['network', 'inspect', 'appnet', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}']);
      t.regex(sub, new RegExp(status.state.prefix.replace('::/48', ':[0-9a-f]+::/64')), 'a user network gets IPv6 from our pool');
      await docker(lab, ['run', '-d', '--name', 'alpha', '--network', 'appnet', 'local/busybox:1', 'sleep', '600']);
      const dns = await docker(lab, ['run', '--rm', '--network', 'appnet', 'local/busybox:1', 'sh', '-c', 'nslookup -type=aaaa alpha 127.0.0.11; ping6 -c1 -W3 alpha']);
      t.regex(dns, /Address:? .*fd[0-9a-f:]+/, 'the embedded DNS returns the AAAA record');
      t.regex(dns, /1 packets received/);
      const egress = await docker(lab, ['run', '--rm', '--network', 'appnet', 'local/busybox:1', 'ping6', '-c1', '-W3', INTERNET6]);
      t.regex(egress, /1 packets received/);
      const peer = await peerSeenUpstream(lab, () => lab.docker(['run', '--rm', '--network', 'appnet', 'local/busybox:1', 'sh', '-c', `echo hi | nc -w3 ${INTERNET6} 9000`]));
      t.is(peer, HOST6, 'NAT66: the upstream sees the host uplink address');

      // idempotent: nothing changes, no restart, no rule added
      const pid = await dockerdPid(lab);
      const rules = await firewallText(lab);
      const again = await ok(lab, ['enable', '--yes']);
      t.regex(again, /already enabled.*nothing to change/);
      t.is(await dockerdPid(lab), pid, 'dockerd was not restarted');
      t.is(await firewallText(lab), rules, 'no rule added (ip6tables and nftables)');

      await docker(lab, ['rm', '-f', 'alpha']);
      await docker(lab, ['network', 'rm', 'appnet']);
      await ok(lab, ['disable', '--yes']);
      t.is(readFileSync(lab.record.dockerd.configFile, 'utf8'), original, 'daemon.json is byte-identical after disable');
      // Docker 28+ keeps ip6tables on by default, so its own IPv6 rules are as before enable too (20.10 and 26 leave
      // theirs when ip6tables goes off: disable names them)
      if (Number(v) >= 28) t.is(await save(lab) + await nativeNft(lab), firewallBefore, 'the firewall (ip6tables and Docker\'s nftables table) is as before enable');
      const after = JSON.parse(await ok(lab, ['status', '--json']));
      t.false(after.networks.find((n: { name: string }) => n.name === 'bridge').enableIPv6);
      t.is(after.host.sysctls['net.ipv6.conf.all.forwarding'], '0');
      t.is(after.host.sysctls['net.ipv6.conf.eth0.accept_ra'], '1', 'accept_ra back to what it was');
    });
  });

  test(`docker ${label}: a failed restart rolls everything back and Docker answers again`, async (t) => {
    await withLab(t, { ...labOpts('rb'), daemonJson: '{"log-level":"warn"}' }, async (lab) => {
      const original = readFileSync(lab.record.dockerd.configFile, 'utf8');
      const rules = await save(lab) + await nativeNft(lab);
      const flag = `${lab.dir}/restart-failed-once`;
      // the first restart stops dockerd and fails (as a daemon that cannot start would); later ones restart for real
      const wrapper = `${lab.dir}/restart.sh`;
      writeFileSync(wrapper, `#!/bin/sh\nif [ -e ${flag} ]; then exec ${CLI} lab restart ${lab.name}; fi\ntouch ${flag}\nkill $(cat ${lab.record.dockerd.pidFile})\necho "simulated: dockerd failed to start" >&2\nexit 1\n`, { mode: 0o755 });
      const r = await lab.exec(['enable', '--yes', '--restart-command', wrapper]);
      t.not(r.code, 0);
      t.regex(r.stderr, /simulated: dockerd failed to start/, 'the cause is reported');
      t.regex(r.stderr, /restored .*daemon\.json/, 'the restore is reported');
      t.is(readFileSync(lab.record.dockerd.configFile, 'utf8'), original, 'daemon.json byte-identical');
      const ping = await lab.docker(['version', '--format', '{{.Server.Version}}']);
      t.is(ping.code, 0, 'Docker answers again');
      t.is(await save(lab) + await nativeNft(lab), rules);
      const st = JSON.parse(await ok(lab, ['status', '--json']));
      t.is(st.host.sysctls['net.ipv6.conf.all.forwarding'], '0', 'forwarding rolled back');
      t.is(st.state, null, 'no state recorded');
    });
  });

  test(`docker ${label}: routed global prefix and NDP proxy for a part of the on-link /64`, async (t) => {
    await withLab(t, labOpts('rt'), async (lab) => {
      // routed: containers that run before enable come back with their own global addresses
      await docker(lab, ['run', '-d', '--restart', 'unless-stopped', '--stop-timeout', '1', '--name', 'web', '-p', '8080:80', 'local/busybox:1', 'sh', '-c', 'while true; do echo hello | nc -l -p 80; done']);
      await docker(lab, ['run', '-d', '--restart', 'unless-stopped', '--stop-timeout', '1', '--name', 'closed', 'local/busybox:1', 'sh', '-c', 'while true; do echo secret | nc -l -p 81; done']);
      const out = await ok(lab, ['enable', '--yes', '--prefix', '2001:db8:2::/48']);
      t.regex(out, /mode routed/);
      t.regex(out, /2001:db8:2::\/48 via 2001:db8:1::2/, 'the upstream route is printed');
      // our filter sits where Docker's rules are: its own nftables table with that backend, ip6tables otherwise
      const ip6 = (await lab.host(['ip6tables-save'])).stdout;
      t.is(/oifname "docker0" drop comment "docker-ipv6"/.test(await ourNftTable(lab)), fb === 'nftables', 'the default bridge ends in its drop in nftables');
      t.is(/-A D6-FORWARD -o docker0 -m comment --comment docker-ipv6 -j DROP/.test(ip6), fb !== 'nftables', 'the default bridge ends in its drop in ip6tables');
      const upRoute = await lab.upstream(['ip', '-6', 'route', 'add', '2001:db8:2::/48', 'via', HOST6]);
      t.is(upRoute.code, 0, upRoute.stderr);
      const webAddr = await docker(lab, ['inspect', 'web', '--format', '{{.NetworkSettings.GlobalIPv6Address}}']);
      const closedAddr = await docker(lab, ['inspect', 'closed', '--format', '{{.NetworkSettings.GlobalIPv6Address}}']);
      t.regex(webAddr, /^2001:db8:2::/);
      const ping = await lab.upstream(['busybox', 'ping6', '-c1', '-W3', webAddr]);
      t.regex(ping.stdout, /1 packets received/, 'the upstream pings a container address');
      t.regex(await fetchFromUpstream(lab, webAddr, 80), /hello/, 'a published port is reachable on the container address');
      t.regex(await fetchFromUpstream(lab, HOST6, 8080), /hello/, 'and on the host address');
      const unpublished = await lab.upstream(['busybox', 'nc', '-w2', closedAddr, '81'], { input: '' });
      t.notRegex(unpublished.stdout, /secret/, 'an unpublished port is not reachable');
      const peer = await peerSeenUpstream(lab, () => lab.docker(['exec', 'closed', 'sh', '-c', `echo hi | nc -w3 ${INTERNET6} 9000`]));
      t.is(peer, closedAddr, 'no NAT: the container address is the source');
      // enable itself keeps packets to unassigned parts of the prefix from looping back upstream, and
      // records the route as reconcile does: apply right after enable finds nothing to change
      t.regex((await lab.host(['ip', '-6', 'route', 'show'])).stdout, /^unreachable 2001:db8:2::\/48 /m, 'enable added the unreachable route');
      t.deepEqual(JSON.parse(readFileSync(join(lab.record.toolRoot, 'var/lib/docker-ipv6/state.json'), 'utf8')).routes, ['unreachable 2001:db8:2::/48']);
      t.is((await ok(lab, ['apply'])).trim(), 'nothing to change', 'enable and apply agree on rules and routes');
      // a port published on loopback only stays closed on the container address (the listener does run)
      await docker(lab, ['run', '-d', '--stop-timeout', '1', '--name', 'local', '-p', '127.0.0.1:8081:9999', 'local/busybox:1', 'sh', '-c', 'while true; do echo local | nc -l -p 9999; done']);
      await ok(lab, ['apply']);
      const localAddr = await docker(lab, ['inspect', 'local', '--format', '{{.NetworkSettings.GlobalIPv6Address}}']);
      t.regex((await lab.host(['busybox', 'nc', '-w3', localAddr, '9999'], { input: '' })).stdout, /local/, 'the listener answers from the host itself');
      t.notRegex((await lab.upstream(['busybox', 'nc', '-w2', localAddr, '9999'], { input: '' })).stdout, /local/, 'a loopback-only port is not opened to the world');
      await docker(lab, ['rm', '-f', 'local']);
      // Docker's isolation chains are off in routed mode: ours keep Docker networks apart over IPv6
      await docker(lab, ['network', 'create', '--ipv6', 'other']);
      await docker(lab, ['run', '-d', '--stop-timeout', '1', '--name', 'peer', '--network', 'other', 'local/busybox:1', 'sh', '-c', 'while true; do echo peer | nc -l -p 82; done']);
      const peerAddr = await docker(lab, ['inspect', 'peer', '--format', '{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}}{{end}}']);
      t.regex(peerAddr, /^2001:db8:2:/);
      // a subnet drawn from enable's pools by plain docker, before any apply lists it: closed to the
      // world by the catch-alls at the end of D6-FORWARD, yet open inside its own network
      t.notRegex((await lab.upstream(['busybox', 'nc', '-w2', peerAddr, '82'], { input: '' })).stdout, /peer/, 'a network not listed yet is not open to the world');
      t.regex(await docker(lab, ['run', '--rm', '--network', 'other', 'local/busybox:1', 'sh', '-c', `nc -w3 ${peerAddr} 82 </dev/null`]), /peer/, 'containers on that network still reach each other');
      t.notRegex((await lab.docker(['exec', 'closed', 'sh', '-c', `echo x | nc -w2 ${peerAddr} 82`])).stdout, /peer/, 'a listed network cannot reach it either');
      await ok(lab, ['apply']);
      const cross = await lab.docker(['exec', 'closed', 'sh', '-c', `echo x | nc -w2 ${peerAddr} 82`]);
      t.notRegex(cross.stdout, /peer/, 'no IPv6 path from one Docker network to another');
      await docker(lab, ['rm', '-f', 'peer']);
      await docker(lab, ['network', 'rm', 'other']);
      await ok(lab, ['disable', '--yes']);
      if (fb === 'nftables') t.regex(await ourNftTable(lab) || 'gone', /gone/, 'our nftables table is gone after disable');
      t.false((await save(lab)).includes('D6-FORWARD'), 'our chain is gone after disable');
      await lab.upstream(['ip', '-6', 'route', 'del', '2001:db8:2::/48']);

      t.notRegex((await lab.host(['ip', '-6', 'route', 'show'])).stdout, /^unreachable 2001:db8:2::\/48 /m, 'disable removed the route');

      // NDP, a run that fails after its proxy entries (the state file cannot be replaced once dockerd has
      // restarted: the restart command makes it immutable, after enable's early record of the state): the
      // rollback removes the entries; the early record cannot be put back while the file is immutable, so
      // the journal stays and recover finishes once it can
      const stateFile = join(lab.record.toolRoot, 'var/lib/docker-ipv6/state.json');
      const wrapper = restartWrapper(lab, 'ndp-immutable', `${CLI} lab restart ${lab.name} && chattr +i ${stateFile}`);
      let failed;
      try { failed = await lab.exec(['enable', '--yes', '--prefix', '2001:db8:1:0:8000::/80', '--restart-command', wrapper]); } finally { await lab.host(['chattr', '-i', stateFile]); }
      t.not(failed.code, 0, failed.stderr);
      t.regex(failed.stderr, /removed the NDP proxy entries 2001:db8:1:0:8000::1/, `${failed.stderr}`);
      t.is((await lab.host(['ip', '-6', 'neigh', 'show', 'proxy'])).stdout.trim(), '', 'no proxy entry left by the rolled-back run');
      const rec = await lab.exec(['recover', '--yes']);
      t.is(rec.code, 0, rec.stderr + rec.stdout);

      // NDP: a part of the on-link /64, no upstream change at all
      const nd = await ok(lab, ['enable', '--yes', '--prefix', '2001:db8:1:0:8000::/80']);
      t.regex(nd, /mode ndp/);
      const addr = await docker(lab, ['inspect', 'web', '--format', '{{.NetworkSettings.GlobalIPv6Address}}']);
      t.regex(addr, /^2001:db8:1:0:8000:/);
      const proxies = await lab.host(['ip', '-6', 'neigh', 'show', 'proxy']);
      t.true(proxies.stdout.includes(addr), `proxy entry for ${addr}: ${proxies.stdout}`);
      const ndPing = await lab.upstream(['busybox', 'ping6', '-c1', '-W3', addr]);
      t.regex(ndPing.stdout, /1 packets received/, 'the upstream pings the container directly');
      await ok(lab, ['disable', '--yes']);
      const left = await lab.host(['ip', '-6', 'neigh', 'show', 'proxy']);
      t.is(left.stdout.trim(), '', 'proxy entries removed');
    });
  });
}

test('refusals change nothing: daemon.json, dockerd pid and ip6tables-save stay as they were', async (t) => {
  await withLab(t, { docker: '28', prefix: 'ref' }, async (lab) => {
    const cfgPath = lab.record.dockerd.configFile;
    const snapshotOf = async () => ({ cfg: readFileSync(cfgPath, 'utf8'), pid: await dockerdPid(lab), rules: await save(lab) });
    const before = await snapshotOf();
    // --dry-run: the whole plan, validated by this dockerd's --validate, and nothing changes
    const dry = await lab.exec(['enable', '--dry-run']);
    t.is(dry.code, 0, dry.stderr);
    t.regex(dry.stdout, /^Mode {5}nat/m);
    t.regex(dry.stdout, /validated by .*--validate/);
    t.regex(dry.stdout, /dry run: nothing was changed/);
    const dryJson = JSON.parse((await lab.exec(['enable', '--dry-run', '--json'])).stdout);
    t.truthy(dryJson.steps.find((st: { id: string }) => st.id === 'restart-dockerd'));
    t.regex(dryJson.daemonJson.diff, /"ipv6": true/);
    t.deepEqual(await snapshotOf(), before, 'nothing changed after --dry-run');
    t.false(existsSync(`${lab.record.toolRoot}/var/lib/docker-ipv6/state.json`), 'no state written by --dry-run');
    const cases: Array<[string[], RegExp, number]> = [
      [['--prefix', '10.0.0.0/8'], /is IPv4/, 2],
      [['--prefix', 'fe80::/64'], /link-local/, 2],
      [['--prefix', 'ff05::/16'], /multicast/, 2],
      [['--prefix', 'fd00::zz/48'], /not an IPv6 prefix/, 2],
      [['--prefix', '2001:db8:1::/64'], /host's own address|on-link prefix/, 2],
      [['--uplink', 'nosuch0'], /nosuch0 does not exist/, 2],
      [['--uplink', '-rf'], /invalid interface name/, 2],
      [['--mode', 'bogus'], /choose auto, nat, routed, ndp or npt/, 2],
    ];
    for (const [args, re, code] of cases) {
      const r = await lab.exec(['enable', '--yes', ...args]);
      t.is(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      t.regex(r.stderr, re, args.join(' '));
      t.deepEqual(await snapshotOf(), before, `nothing changed after ${args.join(' ')}`);
    }
    // malformed daemon.json: refused with line and column, file untouched
    writeFileSync(cfgPath, '{\n  "log-level": "warn",\n}\n');
    const bad = await snapshotOf();
    const r = await lab.exec(['enable', '--yes']);
    t.is(r.code, 5, r.stderr);
    t.regex(r.stderr, /line 3, column 1|3:1/);
    t.deepEqual(await snapshotOf(), bad);
  });
});

test('a key that the running dockerd also gets as a flag is refused with the fix, nothing changed', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const tmp = mkdtempSync('/tmp/dipv6-flagwrap-');
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const wrapper = `${tmp}/dockerd`;
  writeFileSync(wrapper, '#!/bin/sh\nexec /usr/sbin/dockerd --ipv6 --fixed-cidr-v6 fd00:f1a9::/64 "$@"\n', { mode: 0o755 });
  await withLab(t, { dockerd: wrapper, prefix: 'flag' }, async (lab) => {
    const cfg = readFileSync(lab.record.dockerd.configFile, 'utf8');
    const pid = await dockerdPid(lab);
    const r = await lab.exec(['enable', '--yes']);
    t.is(r.code, 5, r.stderr);
    t.regex(r.stderr, /as flags/);
    t.regex(r.stderr, /hint: /);
    t.is(readFileSync(lab.record.dockerd.configFile, 'utf8'), cfg);
    t.is(await dockerdPid(lab), pid);
  });
});
