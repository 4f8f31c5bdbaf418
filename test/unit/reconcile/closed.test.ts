// Closed by construction (issue 21): every Docker bridge is in the filter whatever its prefix or name; host
// bridges are left out and spared; internal networks get nothing from outside; a lost state keeps the host
// closed and can be rebuilt from daemon.json.
import test from 'ava';
import { bridgeNotOurs, dockerFacts, vetBridges, type ApiNetwork } from '../../../src/model/docker';
import { desiredForwardRules, desiredProxies, sparedInterfaces } from '../../../src/reconcile/desired';
import { insertions } from '../../../src/reconcile/fast';
import { reconcileOnce } from '../../../src/reconcile/index';
import { dockerFilterOff, readStateOrLost } from '../../../src/reconcile/lost-state';
import { installSkeleton } from '../../../src/reconcile/skeleton';
import { catchAllRules } from '../../../src/firewall/batches';
import { stateProblem } from '../../../src/model/state-check';
import { agentNeeded } from '../../../src/model/state';
import { planDaemonKeys } from '../../../src/daemon/plan-keys';
import { parseCidr6 } from '../../../src/model/ip';
import { prefixFromKeys, rebuildState } from '../../../src/recover/rebuild-state';
import { ctr, enabledState, net, world } from '../../fakes/reconcile';

const TAG = '-m comment --comment docker-ipv6';
const PREFIX = '2001:db8:100::/48';
const named = (name: string, id: string, subnet: string, bridge: string, extra: Partial<ApiNetwork> = {}): ApiNetwork => ({ ...net(name, id, subnet), Options: { 'com.docker.network.bridge.name': bridge }, ...extra });

test('a network outside the prefix is in the filter like any other: its bridge ends in a drop, its published port opens', (t) => {
  const docker = dockerFacts([net('outside', 'o'.repeat(64), 'fd99:1::/64')], [ctr('svc', { outside: 'fd99:1::2' }, [[80, 'tcp']])]);
  const rules = desiredForwardRules({ uplink: 'eth0' }, docker);
  t.true(rules.includes(`-A D6-FORWARD -o br-oooooooooooo ${TAG} -j DROP`));
  t.true(rules.includes(`-A D6-INBOUND -d fd99:1::2/128 -p tcp -m tcp --dport 80 ${TAG} -j ACCEPT`));
  t.false(rules.some((r) => r.includes(PREFIX)), 'nothing names the prefix');
});

test('an internal network: only inside itself, no ICMPv6, no published port, no proxy entry, no masquerade', (t) => {
  const docker = dockerFacts([named('int', 'i'.repeat(64), '2001:db8:100:5::/64', 'br-iiiiiiiiiiii', { Internal: true })], [ctr('c', { int: '2001:db8:100:5::2' }, [[80, 'tcp']])]);
  const rules = desiredForwardRules({ uplink: 'eth0' }, docker).filter((r) => r.includes('br-iiiiiiiiiiii') || r.includes('2001:db8:100:5::2'));
  t.deepEqual(rules, [
    `-A D6-FORWARD -i br-iiiiiiiiiiii -o br-iiiiiiiiiiii ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -i br-iiiiiiiiiiii ${TAG} -j DROP`,
    `-A D6-FORWARD -o br-iiiiiiiiiiii ${TAG} -j DROP`,
  ]);
  t.deepEqual(desiredProxies({ prefix: PREFIX, uplink: 'eth0' }, docker), [], 'ndp: the world is not told the internal addresses are here');
});

test('bridgeNotOurs: the uplink, an interface that is not a bridge, a bridge holding host addresses; a bridge Docker has not made yet is fine', (t) => {
  const docker = dockerFacts([
    named('lan', 'l'.repeat(64), '2001:db8:100:7::/64', 'vmbr0'),
    named('up', 'u'.repeat(64), '2001:db8:100:8::/64', 'eth0'),
    named('veth', 'v'.repeat(64), '2001:db8:100:9::/64', 'vx0'),
    named('later', 'n'.repeat(64), '2001:db8:100:a::/64', 'mybr'),
    net('plain', 'p'.repeat(64), '2001:db8:100:b::/64', '2001:db8:100:b::1'),
  ], []);
  const ns = {
    links: [{ index: 2, name: 'eth0', up: true, kind: 'veth' }, { index: 3, name: 'vmbr0', up: true, kind: 'bridge' }, { index: 4, name: 'vx0', up: true, kind: 'vxlan' }, { index: 5, name: 'br-pppppppppppp', up: true, kind: 'bridge' }],
    addresses: [
      { ifindex: 3, ifname: 'vmbr0', family: 4 as const, address: '192.168.1.5', prefixlen: 24, scope: 0, flags: [] },
      { ifindex: 5, ifname: 'br-pppppppppppp', family: 6 as const, address: '2001:db8:100:b::1', prefixlen: 64, scope: 0, flags: [] },
      { ifindex: 5, ifname: 'br-pppppppppppp', family: 6 as const, address: 'fe80::1', prefixlen: 64, scope: 253, flags: [] },
      { ifindex: 5, ifname: 'br-pppppppppppp', family: 4 as const, address: '10.0.0.1', prefixlen: 24, scope: 0, flags: [] },
    ],
  };
  const vetted = vetBridges(docker, ns, 'eth0');
  t.deepEqual(vetted.networks.map((n) => n.name).sort(), ['later', 'plain']);
  t.deepEqual(Object.fromEntries((vetted.skipped ?? []).map((s) => [s.name, [s.kind, s.problem]])), {
    lan: ['host', 'its bridge vmbr0 holds 192.168.1.5/24, outside the network\'s subnets (a host interface)'],
    up: ['host', 'its bridge eth0 is the uplink'],
    veth: ['host', 'its bridge vx0 is a vxlan interface, not a bridge'],
  });
  t.is(bridgeNotOurs(vetted.networks[0], ns, 'eth0'), undefined);
  // nothing of ours names a host bridge: no -i vmbr0 ACCEPT that would forward the whole LAN
  t.false(desiredForwardRules({ uplink: 'eth0' }, vetted, ns.links).some((r) => /vmbr0|vx0/.test(r) || / -i eth0 /.test(r)));
});

test('spared interfaces: host interfaces named like Docker\'s bridges, never one Docker makes', (t) => {
  const links = ['lo', 'br-lan', 'br-0123456789ab', 'docker0', 'br-custom', 'wg0'].map((name) => ({ name }));
  const docker = dockerFacts([named('c', 'c'.repeat(64), 'fd00:9::/64', 'br-custom')], []);
  t.deepEqual(sparedInterfaces('br-lan', docker, links), ['br-lan']);
  t.deepEqual(sparedInterfaces('eth0', { networks: [] }, links), ['br-custom', 'br-lan'], 'br-custom is not a listed network here: the admin\'s');
  const rules = desiredForwardRules({ uplink: 'br-lan' }, dockerFacts([], []), links);
  t.deepEqual(rules.slice(-10), catchAllRules(['br-lan', 'br-custom']));
});

test('insertions: only additions become -I lines at their final places; anything else is left to the full pass', (t) => {
  const A = (x: string) => `-A C ${x}`;
  t.deepEqual(insertions([A('a'), A('c')], [A('a'), A('b'), A('c'), A('d')]), ['-I C 2 b', '-I C 4 d']);
  t.deepEqual(insertions([A('a')], [A('a')]), []);
  t.is(insertions([A('a'), A('b')], [A('b'), A('a')]), undefined, 'a reorder');
  t.is(insertions([A('a'), A('x')], [A('a')]), undefined, 'a removal');
  t.deepEqual(insertions(['-A D x'], ['-A C a', '-A D x', '-A D y']), ['-I C 1 a', '-I D 2 y'], 'per chain positions');
});

test('the state keeps named bridges for the boot skeleton; a name a rule could misread is refused on load', (t) => {
  t.is(stateProblem({ version: 1, bridges: ['mybr', 'lan.5'] }), undefined);
  t.like(stateProblem({ version: 1, bridges: ['br+'] }), { field: 'bridges[0]' });
  t.like(stateProblem({ version: 1, bridges: 'mybr' }), { field: 'bridges' });
});

test('a full pass records the named bridges; the skeleton from that state closes them before Docker is asked', async (t) => {
  const w = world(enabledState('routed', PREFIX));
  w.networks = [named('mine', 'm'.repeat(64), 'fd99:2::/64', 'mybr')];
  await reconcileOnce(w.deps);
  t.deepEqual(w.state!.bridges, ['mybr']);
  // reboot: our chains are gone; the skeleton from the state alone
  w.fw = new (w.fw.constructor as new () => typeof w.fw)();
  w.deps.firewall = { read: () => w.fw.read(), restore: (b) => w.fw.restore(b) };
  await installSkeleton(w.deps);
  const rules = w.fw.tables.filter.rules['D6-FORWARD'];
  t.true(rules.includes(`-o mybr ${TAG} -j DROP`) && rules.includes(`-i mybr ${TAG} -j DROP`));
  t.is(rules.at(-1), `-i br-+ ${TAG} -j DROP`);
  t.is(w.dockerCalls, 2, 'only the full pass asked Docker');
});

test('a lost state with Docker\'s IPv6 filter off: passes refuse, the skeleton (catch-alls) goes in, nothing is removed', async (t) => {
  t.true(dockerFilterOff({ ipv6: true, ip6tables: false }));
  t.false(dockerFilterOff({ ipv6: true }), 'not ours: 20.10\'s default, never written by enable');
  t.false(dockerFilterOff({ ipv6: true, ip6tables: true }));
  const w = world(enabledState('routed', PREFIX));
  w.networks = [net('n', 'a'.repeat(64), '2001:db8:100:1::/64')];
  await reconcileOnce(w.deps);
  t.true(w.fw.has('filter', 'D6-FORWARD'));
  w.state = undefined;
  const config = { ipv6: true, ip6tables: false, 'fixed-cidr-v6': '2001:db8:100::/64' };
  const deps = { ...w.deps, daemonConfig: async () => config, stateFile: '/var/lib/docker-ipv6/state.json' };
  t.regex((await readStateOrLost(deps)).lost!.message, /state\.json is missing, but daemon\.json runs Docker with IPv6 on and its own IPv6 filter off/);
  const e = await t.throwsAsync(reconcileOnce(deps));
  t.regex(e!.message, /every container would be open/);
  t.regex((e as { hint?: string }).hint ?? '', /docker ipv6 recover --rebuild-state/);
  t.notRegex((e as { hint?: string }).hint ?? '', /move/, 'no hint says to move the state away');
  t.true(w.fw.has('filter', 'D6-FORWARD'), 'the refused pass removed nothing');
  // the chain flushed by another tool, state still lost: the skeleton closes every docker0 / br-* bridge
  w.fw.tables.filter.rules['D6-FORWARD'] = [];
  const changes = await installSkeleton(deps);
  t.is(changes.length, 1);
  t.deepEqual(w.fw.tables.filter.rules['D6-FORWARD'].slice(-6), catchAllRules().map((r) => r.replace(/^-A D6-FORWARD /, '')));
  // an unreadable state: the same
  const bad = { ...deps, readState: async () => { throw new Error('state file x is not valid'); } };
  t.regex((await readStateOrLost(bad)).lost!.message, /is unreadable \(state file x is not valid\)/);
  // daemon.json does not run Docker unfiltered: a missing state is "not enabled", as before
  t.deepEqual(await readStateOrLost({ ...deps, daemonConfig: async () => ({ ipv6: true }) }), { state: undefined });
});

test('rebuild the state from daemon.json: the prefix whose keys enable writes (20.10\'s one-subnet pools and 28\'s), routed or ndp', (t) => {
  for (const version of ['20.10.24+dfsg1', '28.5.2']) {
    for (const [prefix, mode, onLink] of [['2001:db8:2::/48', 'routed', []], ['2001:db8:1:8000::/49', 'ndp', ['2001:db8:1::/48']], ['2001:db8:3:100::/56', 'routed', []]] as const) {
      const keys = planDaemonKeys({}, version, parseCidr6(prefix)!, mode).set;
      // the lab's own IPv4 pools kept, as enable keeps them
      const pools = keys['default-address-pools'] as Array<{ base: string }>;
      const config = { 'log-level': 'info', ...keys, 'default-address-pools': [{ base: '10.128.0.0/9', size: 24 }, ...pools.filter((p) => p.base.includes(':'))] };
      const legacy = version.startsWith('20.');
      // 28: the pools tell the length; 20.10: 64 one-subnet /64 entries fit every length from /56 (the longest with /64 networks) down, the longest is taken
      const found = prefixFromKeys(config, version, [...onLink]);
      t.is(found && `${found.prefix.network}/${found.prefix.length} ${found.mode}`, legacy && Number(prefix.split('/')[1]) < 56 ? `${prefix.split('/')[0]}/56 ${mode}` : `${prefix} ${mode}`, `${version} ${prefix}`);
      t.is(prefixFromKeys(config, version, [...onLink], prefix)?.mode, mode, 'the one given, among those that fit');
      const text = JSON.stringify(config, null, 2);
      const r = rebuildState({ config: { path: '/etc/docker/daemon.json', text, value: config }, dockerVersion: version, uplink: 'eth0', host: { uplinkPrefixes: [...onLink], hostAddresses: [], gateways: [] }, sysctlFileExists: true, now: 'then', prefix });
      t.is(stateProblem(r.state), undefined, 'a state the tool could have written');
      t.like(r.state, { prefix, mode, uplink: 'eth0', enabled: { filterByUs: true, natByUs: false } });
      t.deepEqual(r.state.routes, mode === 'routed' ? [`unreachable ${prefix}`] : undefined);
      t.regex(r.notes.join('\n'), /disable will remove ipv6, fixed-cidr-v6, ip6tables/);
    }
  }
  // with enable's copy of the file from before: disable puts those values back
  const keys = planDaemonKeys({}, '28.5.2', parseCidr6('2001:db8:2::/48')!, 'routed').set;
  const before = '{\n  "ipv6": false,\n  "log-level": "info"\n}\n';
  const r = rebuildState({ config: { path: '/d.json', text: '', value: keys }, before, dockerVersion: '28.5.2', uplink: 'eth0', host: { uplinkPrefixes: [], hostAddresses: [], gateways: [] }, sysctlFileExists: false, now: 'then' });
  t.deepEqual(r.state.enabled!.daemonJson.undo.previous.ipv6, { value: false, raw: 'false' });
  t.deepEqual(r.state.enabled!.daemonJson.undo.previous.ip6tables, { absent: true });
  // keys that are not what enable writes: refused, nothing guessed
  t.throws(() => rebuildState({ config: { path: '/d.json', text: '', value: { ipv6: true, ip6tables: false, 'fixed-cidr-v6': '2001:db8:2::/64' } }, dockerVersion: '28.5.2', uplink: 'eth0', host: { uplinkPrefixes: [], hostAddresses: [], gateways: [] }, sysctlFileExists: false, now: 'x' }), { message: /not what docker ipv6 enable writes/ });
  t.throws(() => rebuildState({ config: { path: '/d.json', text: '', value: { ipv6: true } }, dockerVersion: '28.5.2', uplink: 'eth0', host: { uplinkPrefixes: [], hostAddresses: [], gateways: [] }, sysctlFileExists: false, now: 'x' }), { message: /there is no setup to rebuild the state from/ });
});

test('rebuild-state keeps the MTU daemon.json still shows: recorded for network create, undone by disable when it is enable\'s', (t) => {
  const prefix = parseCidr6('2001:db8:2::/48')!;
  // what enable writes on an uplink of MTU 1420: its keys and "mtu": 1420
  const keys = planDaemonKeys({}, '28.5.2', prefix, 'routed', { mtu: 1420 }).set;
  t.is(keys.mtu, 1420);
  const base = { config: { path: '/d.json', text: '', value: keys }, dockerVersion: '28.5.2', uplink: 'eth0', host: { uplinkPrefixes: [], hostAddresses: [], gateways: [] }, sysctlFileExists: true, now: 'then' };
  const r = rebuildState({ ...base, uplinkMtu: 1420 });
  t.is(stateProblem(r.state), undefined);
  t.is(r.state.enabled!.mtu, 1420, 'network create gives the networks it makes the default bridge\'s MTU again');
  t.deepEqual(r.state.enabled!.daemonJson.undo.previous.mtu, { absent: true }, 'the uplink\'s MTU: what enable writes, so disable removes it');
  t.regex(r.notes.join('\n'), /the default bridge's MTU 1420 \("mtu" in \/d\.json\) is recorded again/);
  t.regex(r.notes.join('\n'), /disable will remove .*mtu/);
  // another MTU than the uplink's, and no copy from before enable: the admin's own, recorded but never removed
  const own = rebuildState({ ...base, uplinkMtu: 1500 });
  t.is(own.state.enabled!.mtu, 1420);
  t.false('mtu' in own.state.enabled!.daemonJson.undo.previous);
  t.regex(own.notes.join('\n'), /not the uplink eth0's MTU \(1500\), which is the one enable writes, so disable leaves "mtu" in \/d\.json/);
  // with the copy from before enable, its value (or its absence) is what disable puts back
  t.deepEqual(rebuildState({ ...base, uplinkMtu: 1500, before: '{"mtu": 1450}' }).state.enabled!.daemonJson.undo.previous.mtu, { value: 1450, raw: '1450' });
  t.deepEqual(rebuildState({ ...base, before: '{}' }).state.enabled!.daemonJson.undo.previous.mtu, { absent: true });
  // Docker's own 1500 (no key, or 1500 written): nothing recorded, nothing undone
  for (const value of [planDaemonKeys({}, '28.5.2', prefix, 'routed').set, { ...keys, mtu: 1500 }]) {
    const none = rebuildState({ ...base, config: { ...base.config, value }, uplinkMtu: 1500 });
    t.is(none.state.enabled!.mtu, undefined);
    t.false('mtu' in none.state.enabled!.daemonJson.undo.previous);
  }
});

test('rebuild-state in nat mode: Docker\'s NAT66 keys, with the chosen source our SNAT rule still names and the MTU', (t) => {
  const ula = parseCidr6('fd12:3456:789a::/48')!;
  const host = { uplinkPrefixes: ['2001:db8:1::/64'], hostAddresses: ['2001:db8:1::2/64', '2001:db8:1::99/64'], gateways: ['2001:db8:1::1'] };
  const choices = ['2001:db8:1::2', '2001:db8:1::99'];
  for (const version of ['20.10.24', '28.5.2']) {
    const keys = planDaemonKeys({}, version, ula, 'nat', { mtu: 1420 }).set;
    t.is(keys.ip6tables, true);
    const base = { config: { path: '/d.json', text: '', value: keys }, dockerVersion: version, uplink: 'eth0', uplinkMtu: 1420, host, sysctlFileExists: true, now: 'then' };
    const r = rebuildState({ ...base, natSource: { seen: '2001:DB8:1::99', choices } });
    t.is(stateProblem(r.state), undefined, version);
    // 20.10's one-subnet pools fit lengths down from /56: the longest is taken, as in the other modes
    t.like(r.state, { mode: 'nat', prefix: version.startsWith('20.') ? 'fd12:3456:789a::/56' : 'fd12:3456:789a::/48', natSource: '2001:db8:1::99', enabled: { natByUs: false, filterByUs: false, mtu: 1420 } }, version);
    t.is(r.state.routes, undefined, 'nat mode has no unreachable route');
    t.true(agentNeeded(r.state), 'the agent keeps the SNAT rule for every network');
    t.regex(r.notes.join('\n'), /the chosen NAT66 source 2001:db8:1::99 our SNAT rule names is recorded again/);
    // the address is no longer the host's: not recorded, and the note says how to choose again
    const gone = rebuildState({ ...base, natSource: { seen: '2001:db8:1::99', choices: ['2001:db8:1::2'] } });
    t.is(gone.state.natSource, undefined);
    t.regex(gone.notes.join('\n'), /names 2001:db8:1::99, which is no longer an address of this host a source may be: it is not recorded; docker ipv6 enable --nat-source ADDR sets one again/);
    // no SNAT rule of ours: nothing chosen is recorded, and the note says so
    const none = rebuildState(base);
    t.is(none.state.natSource, undefined);
    t.regex(none.notes.join('\n'), /no SNAT rule of ours names a chosen NAT66 source, so none is recorded/);
  }
});

test('rebuild-state in npt mode on Docker before 27: the pools fit several lengths, the outside prefix\'s length picks the inside one', (t) => {
  const keys = planDaemonKeys({}, '20.10.24', parseCidr6('fd6e:7074:24::/48')!, 'npt').set;
  const base = { config: { path: '/d.json', text: '', value: keys }, dockerVersion: '20.10.24', uplink: 'eth0', host: { uplinkPrefixes: [], hostAddresses: [], gateways: [] }, sysctlFileExists: true, now: 'then' };
  t.throws(() => rebuildState(base), { message: /holds the keys of npt mode/ });
  t.like(rebuildState({ ...base, outsidePrefix: '2001:db8:800::/48' }).state, { prefix: 'fd6e:7074:24::/48', outsidePrefix: '2001:db8:800::/48' });
});
