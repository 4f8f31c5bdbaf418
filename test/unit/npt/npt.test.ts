// NPTv6 as data and as a pass: the outside prefix's checks, the address mapping, the NETMAP rules on both
// backends (read back from what real ip6tables-save and nft print), conntrack's view of the source, and
// reconcile keeping the translation (a renumbering is one nat batch; leaving npt removes both chains).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nptRules, renderRemoveBatch } from '../../../src/firewall/batches';
import { nftStatement, parseRuleLine, ruleLine } from '../../../src/model/fw-rule';
import { nftTableView, parseNftJson } from '../../../src/model/nft-json';
import { parseSave } from '../../../src/model/ip6tables-save';
import { judgeOutside, mapAddress } from '../../../src/model/npt';
import { parseConntrack, sourceSeenOutside } from '../../../src/model/conntrack';
import { parseCidr6 } from '../../../src/model/ip';
import { desiredNatRules, unreachableRoutes } from '../../../src/reconcile/desired';
import { planSkeleton } from '../../../src/reconcile/skeleton';
import { reconcileOnce } from '../../../src/reconcile/index';
import { ctr, enabledState, net, world } from '../../fakes/reconcile';
import type { ToolState } from '../../../src/model/state';
import { planDaemonKeys } from '../../../src/daemon/plan-keys';
import { rebuildState } from '../../../src/recover/rebuild-state';

const TAG = '-m comment --comment docker-ipv6';
const INSIDE = 'fd00:1::/48';
const OUTSIDE = '2001:db8:800::/48';
const facts = { uplinkPrefixes: ['2001:db8:1::/64'], hostAddresses: ['2001:db8:1::10/64', 'fd00:aa::5/64'], gateways: ['2001:db8:1::1'] };

test('the outside prefix: a global prefix of the inside one\'s length, routed here and used by nothing else; canonical when accepted', (t) => {
  const inside = parseCidr6(INSIDE)!;
  const ok = judgeOutside('2001:DB8:800:0::/48', inside, facts);
  t.true('cidr' in ok && ok.cidr.network === '2001:db8:800::' && ok.cidr.length === 48, 'why' in ok ? ok.why : '');
  const why = (p: string) => { const j = judgeOutside(p, inside, facts); return 'why' in j ? `${j.why} | ${j.hint}` : 'accepted'; };
  t.regex(why('2001:db8:800::/56'), /is a \/56, the inside prefix fd00:1::\/48 a \/48.*same length \| give a \/48/);
  t.regex(why('fd00:2::/48'), /not a global prefix/);
  t.regex(why('fd00:1::/48'), /not a global prefix/);
  t.regex(why('2001:db8:1::/48'), /overlaps the uplink's on-link prefix 2001:db8:1::\/64/);
  t.regex(why('nonsense'), /./);
  t.not(why('nonsense'), 'accepted');
  // a prefix holding the router or the host's own address would take them over
  const far = { uplinkPrefixes: [], hostAddresses: ['2001:db8:800::10/128'], gateways: [] };
  const j = judgeOutside(OUTSIDE, inside, far);
  t.true('why' in j && /holds 2001:db8:800::10, an address of this host or its router/.test(j.why));
  const gw = judgeOutside(OUTSIDE, inside, { uplinkPrefixes: [], hostAddresses: [], gateways: ['2001:db8:800::1'] });
  t.true('why' in gw);
});

test('mapAddress keeps the host part: what NETMAP and nft `prefix to` make of an inside address', (t) => {
  t.is(mapAddress('fd00:1:0:5::2', INSIDE, OUTSIDE), '2001:db8:800:5::2');
  t.is(mapAddress('fd00:1:0:ffff:ffff:ffff:ffff:ffff', INSIDE, OUTSIDE), '2001:db8:800:ffff:ffff:ffff:ffff:ffff');
  t.is(mapAddress('fd00:1:1::2', INSIDE, OUTSIDE), undefined, 'the next /48');
  t.is(mapAddress('fd00:1:0:8000::1', 'fd00:1:0:8000::/49', '2001:db8:800:8000::/49'), '2001:db8:800:8000::1');
  t.is(mapAddress('fd00:2::2', INSIDE, OUTSIDE), undefined, 'outside the inside prefix');
  t.is(mapAddress('fd00:1::2', INSIDE, '2001:db8:800::/56'), undefined, 'lengths differ');
});

test('the NETMAP rules: one each way on the uplink; they read back from the lines real ip6tables-save prints (legacy and nft)', (t) => {
  const rules = nptRules(INSIDE, OUTSIDE, 'eth0');
  // captured from ip6tables-legacy-save and ip6tables-nft-save after adding these rules in a namespace
  t.deepEqual(rules, [
    `-A D6-NAT -s fd00:1::/48 -o eth0 ${TAG} -j NETMAP --to 2001:db8:800::/48`,
    `-A D6-DNAT -d 2001:db8:800::/48 -i eth0 ${TAG} -j NETMAP --to fd00:1::/48`,
  ]);
  for (const l of rules) {
    const r = parseRuleLine(l);
    t.truthy(r, l);
    t.is(ruleLine(r!), l);
  }
  t.is(nftStatement(parseRuleLine(rules[0])!), 'ip6 saddr fd00:1::/48 oifname "eth0" snat ip6 prefix to 2001:db8:800::/48 comment "docker-ipv6"');
  t.is(nftStatement(parseRuleLine(rules[1])!), 'ip6 daddr 2001:db8:800::/48 iifname "eth0" dnat ip6 prefix to fd00:1::/48 comment "docker-ipv6"');
  // not ours: a NETMAP without --to, a --to on another target, anything after --to
  for (const l of [`-A D6-NAT -s ${INSIDE} -o eth0 ${TAG} -j NETMAP`, `-A D6-NAT -s ${INSIDE} -o eth0 ${TAG} -j MASQUERADE --to ${OUTSIDE}`, `${rules[0]} --random`]) {
    t.is(parseRuleLine(l), undefined, l);
  }
});

test('nft: our table with the translation (nft -j of a real nft 1.0) reads as the same two lines and their jumps', (t) => {
  const v = nftTableView(parseNftJson(readFileSync(join(__dirname, '../../fixtures/nft/npt-netmap.json'), 'utf8')), 'ip6', 'docker-ipv6');
  t.true(v.exists);
  t.deepEqual(Object.keys(v.ruleset.nat.chains).sort(), ['D6-DNAT', 'D6-NAT', 'POSTROUTING', 'PREROUTING']);
  t.deepEqual(v.ruleset.nat.rules.filter((l) => l.includes('NETMAP')), nptRules(INSIDE, OUTSIDE, 'eth0').sort((a, b) => (a.startsWith('-A D6-NAT ') ? -1 : 1) - (b.startsWith('-A D6-NAT ') ? -1 : 1)));
  t.true(v.ruleset.nat.rules.includes(`-A POSTROUTING ${TAG} -j D6-NAT`));
  t.true(v.ruleset.nat.rules.includes(`-A PREROUTING ${TAG} -j D6-DNAT`));
});

test('conntrack: the reply direction names the source the far end saw; entries of other flows and IPv4 are ignored', (t) => {
  const text = [
    'ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=10.0.0.1 sport=1 dport=2 src=10.0.0.1 dst=10.0.0.2 sport=2 dport=1 [ASSURED] mark=0 zone=0 use=2',
    'ipv6     10 ipv6-icmp 58 29 src=fd00:0001:0000:0005:0000:0000:0000:0002 dst=2001:0db8:0009:0000:0000:0000:0000:0001 type=128 code=0 id=12 src=2001:0db8:0009:0000:0000:0000:0000:0001 dst=2001:0db8:0800:0005:0000:0000:0000:0002 type=129 code=0 id=12 mark=0 zone=0 use=2',
    'ipv6     10 tcp      6 117 TIME_WAIT src=fd00:1:0:5::3 dst=2001:db8:9::1 sport=40000 dport=80 src=2001:db8:9::1 dst=2001:db8:1::10 sport=80 dport=40000 [ASSURED] mark=0 zone=0 use=2',
    'garbage',
  ].join('\n');
  const e = parseConntrack(text);
  t.is(e.length, 2);
  t.is(sourceSeenOutside(e, 'fd00:1:0:5::2', '2001:db8:9::1'), '2001:db8:800:5::2');
  t.is(sourceSeenOutside(e, 'fd00:1:0:5::3', '2001:db8:9::1'), '2001:db8:1::10', 'masqueraded: the host address');
  t.is(sourceSeenOutside(e, 'fd00:1:0:5::4', '2001:db8:9::1'), undefined);
  t.deepEqual(parseConntrack(''), []);
});

test('desired: npt translates the whole prefix whatever the networks; both prefixes get their unreachable route; routed only its own', (t) => {
  const owned = { prefix: INSIDE, mode: 'npt' as const, uplink: 'eth0', outsidePrefix: OUTSIDE };
  t.deepEqual(desiredNatRules(owned, { networks: [], containers: [] }), nptRules(INSIDE, OUTSIDE, 'eth0'));
  t.deepEqual(unreachableRoutes(owned).map((r) => r.dst), [INSIDE, OUTSIDE]);
  t.deepEqual(unreachableRoutes({ prefix: '2001:db8:100::/48', mode: 'routed' }).map((r) => r.dst), ['2001:db8:100::/48']);
  t.deepEqual(unreachableRoutes({ prefix: INSIDE, mode: 'nat' }), []);
  // npt without its outside prefix (a hand-edited state) translates nothing rather than guessing
  t.deepEqual(unreachableRoutes({ prefix: INSIDE, mode: 'npt' }), []);
});

function nptState(outside = OUTSIDE): ToolState {
  const s = enabledState('routed', INSIDE);
  return { ...s, mode: 'npt', outsidePrefix: outside, enabled: { ...s.enabled!, natByUs: true, filterByUs: true } };
}

test('reconcile in npt mode: translation, closed filter and both routes; a renumbering is one nat batch that touches nothing else', async (t) => {
  const w = world(nptState());
  w.networks = [net('bridge', 'b'.repeat(64), 'fd00:1::/64'), net('app', 'a'.repeat(64), 'fd00:1:0:1::/64')];
  w.containers = [ctr('web', { app: 'fd00:1:0:1::2' }, [[80, 'tcp']])];
  await reconcileOnce(w.deps);
  t.deepEqual(w.fw.tables.nat.rules['D6-NAT'], [`-s ${INSIDE} -o eth0 ${TAG} -j NETMAP --to ${OUTSIDE}`]);
  t.deepEqual(w.fw.tables.nat.rules['D6-DNAT'], [`-d ${OUTSIDE} -i eth0 ${TAG} -j NETMAP --to ${INSIDE}`]);
  t.true(w.fw.tables.nat.rules.PREROUTING.includes(`${TAG} -j D6-DNAT`));
  t.true(w.fw.tables.filter.rules['D6-INBOUND'].includes(`-d fd00:1:0:1::2/128 -p tcp -m tcp --dport 80 ${TAG} -j ACCEPT`), 'the filter sees inside addresses');
  t.deepEqual([...w.net.unreachable].sort(), [OUTSIDE, INSIDE].sort());
  t.deepEqual((await reconcileOnce(w.deps)).changes, [], 'a second pass changes nothing');
  // renumber: the state names a new outside prefix; one batch, the nat table only, both chains in it
  const filterBefore = JSON.stringify(w.fw.tables.filter);
  const n = w.fw.restores.length;
  w.state = { ...w.state!, outsidePrefix: '2001:db8:900::/48' };
  await reconcileOnce(w.deps);
  t.is(w.fw.restores.length, n + 1, 'one batch');
  const batch = w.fw.restores[n];
  t.true(batch.startsWith('*nat\n') && !batch.includes('*filter'), batch);
  t.regex(batch, /-A D6-NAT .*--to 2001:db8:900::\/48[\s\S]*-A D6-DNAT -d 2001:db8:900::\/48/);
  t.is(JSON.stringify(w.fw.tables.filter), filterBefore);
  t.deepEqual(w.fw.tables.nat.rules['D6-DNAT'], [`-d 2001:db8:900::/48 -i eth0 ${TAG} -j NETMAP --to ${INSIDE}`]);
  t.deepEqual([...w.net.unreachable].sort(), ['2001:db8:900::/48', INSIDE].sort(), 'the old outside prefix is no longer ours: its route goes');
  t.deepEqual((await reconcileOnce(w.deps)).changes, []);
});

test('leaving npt: a nat-mode state drops D6-DNAT and its jump; the remove batch of the nat table takes both chains', async (t) => {
  const w = world(nptState());
  w.networks = [net('bridge', 'b'.repeat(64), 'fd00:1::/64')];
  await reconcileOnce(w.deps);
  const s = enabledState('nat', INSIDE, true);
  w.state = s;
  await reconcileOnce(w.deps);
  t.false('D6-DNAT' in w.fw.tables.nat.rules, JSON.stringify(w.fw.tables.nat.rules));
  t.false(w.fw.tables.nat.rules.PREROUTING?.some((r) => r.includes('D6-DNAT')) ?? false);
  t.true(w.fw.tables.nat.rules['D6-NAT'].every((r) => r.includes('MASQUERADE')), JSON.stringify(w.fw.tables.nat.rules['D6-NAT']));
  const both = parseSave(['*nat', ':PREROUTING ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':D6-NAT - [0:0]', ':D6-DNAT - [0:0]',
    `-A PREROUTING ${TAG} -j D6-DNAT`, `-A POSTROUTING ${TAG} -j D6-NAT`, ...nptRules(INSIDE, OUTSIDE, 'eth0'), 'COMMIT', ''].join('\n'));
  t.is(renderRemoveBatch('nat', both), ['*nat', `-D PREROUTING ${TAG} -j D6-DNAT`, `-D POSTROUTING ${TAG} -j D6-NAT`, '-F D6-NAT', '-F D6-DNAT', '-X D6-DNAT', '-X D6-NAT', 'COMMIT', ''].join('\n'));
});

test('boot skeleton: the translation and both routes come from the state alone, before Docker lists anything', (t) => {
  const plan = planSkeleton({ prefix: INSIDE, mode: 'npt', uplink: 'eth0', natByUs: true, filterByUs: true, outsidePrefix: OUTSIDE }, {}, []);
  t.deepEqual(plan.routes.map((r) => r.dst), [INSIDE, OUTSIDE]);
  t.truthy(plan.batch);
  for (const l of nptRules(INSIDE, OUTSIDE, 'eth0')) t.true(plan.batch!.includes(l), l);
  t.regex(plan.batch!, /\*filter[\s\S]*D6-FORWARD[\s\S]*\*nat/);
});

test('a lost state on an npt host: rebuilt with --outside-prefix (only the lost file knew it); without it the refusal names the option', (t) => {
  const keys: Record<string, unknown> = { ipv6: true, ...planDaemonKeys({}, '28.5.2', parseCidr6(INSIDE)!, 'npt').set };
  t.is(keys.ip6tables, false);
  const input = { config: { path: '/d.json', text: '', value: keys }, dockerVersion: '28.5.2', uplink: 'eth0', host: { uplinkPrefixes: ['2001:db8:1::/64'], hostAddresses: [], gateways: [] }, sysctlFileExists: true, now: 'then' };
  const e = t.throws(() => rebuildState(input));
  t.regex(e!.message, /keys of npt mode .*outside prefix .* only in the lost file/);
  t.regex((e as { hint?: string }).hint ?? '', /--rebuild-state --outside-prefix P/);
  const r = rebuildState({ ...input, outsidePrefix: '2001:DB8:800::/48' });
  t.is(r.state.mode, 'npt');
  t.is(r.state.prefix, INSIDE);
  t.is(r.state.outsidePrefix, OUTSIDE);
  t.true(r.state.enabled!.natByUs && r.state.enabled!.filterByUs);
  t.deepEqual(r.state.routes, [`unreachable ${INSIDE}`, `unreachable ${OUTSIDE}`]);
  t.throws(() => rebuildState({ ...input, outsidePrefix: '2001:db8:800::/56' }), { message: /same length/ });
});

test('a lost state on an npt host: the outside prefix is judged on the host\'s addresses and routers, as enable judges it', (t) => {
  const keys: Record<string, unknown> = { ipv6: true, ...planDaemonKeys({}, '28.5.2', parseCidr6(INSIDE)!, 'npt').set };
  const base = { config: { path: '/d.json', text: '', value: keys }, dockerVersion: '28.5.2', uplink: 'eth0', sysctlFileExists: true, now: 'then', outsidePrefix: OUTSIDE };
  // an address of this host (on another interface) or its router inside the outside prefix: the translation would take it over
  for (const host of [{ ...facts, hostAddresses: [...facts.hostAddresses, '2001:db8:800::5/64'] }, { ...facts, gateways: ['2001:db8:800::1'] }]) {
    const enable = judgeOutside(OUTSIDE, parseCidr6(INSIDE)!, host);
    t.true('why' in enable, 'enable refuses it');
    const e = t.throws(() => rebuildState({ ...base, host }));
    t.is(e!.message, `--outside-prefix ${OUTSIDE} ${'why' in enable ? enable.why : ''}`, 'rebuild-state refuses it with enable\'s words');
  }
  t.is(rebuildState({ ...base, host: facts }).state.outsidePrefix, OUTSIDE);
});

test('renumbering pass (scope translation): Docker is not asked, one nat batch, the routes swapped, the state exact; the full pass after it changes nothing', async (t) => {
  const w = world(nptState());
  w.networks = [net('bridge', 'b'.repeat(64), 'fd00:1::/64'), net('app', 'a'.repeat(64), 'fd00:1:0:1::/64')];
  w.containers = [ctr('web', { app: 'fd00:1:0:1::2' }, [[80, 'tcp']])];
  await reconcileOnce(w.deps);
  w.state = { ...w.state!, bridges: ['mybr0'] };
  const calls = w.dockerCalls;
  const filterBefore = JSON.stringify(w.fw.tables.filter);
  const n = w.fw.restores.length;
  // as renumber writes it: the new outside prefix, and both outside routes owned while they are swapped
  const NEW = '2001:db8:900::/48';
  w.state = { ...w.state, outsidePrefix: NEW, routes: [`unreachable ${INSIDE}`, `unreachable ${OUTSIDE}`, `unreachable ${NEW}`] };
  const r = await reconcileOnce(w.deps, { scope: 'translation' });
  t.is(w.dockerCalls, calls, 'no Docker list');
  t.is(w.fw.restores.length, n + 1, 'one batch');
  t.true(w.fw.restores[n].startsWith('*nat\n') && !w.fw.restores[n].includes('*filter'), w.fw.restores[n]);
  t.is(JSON.stringify(w.fw.tables.filter), filterBefore, 'the filter is not touched');
  t.deepEqual(w.fw.tables.nat.rules['D6-NAT'], [`-s ${INSIDE} -o eth0 ${TAG} -j NETMAP --to ${NEW}`]);
  t.deepEqual(w.fw.tables.nat.rules['D6-DNAT'], [`-d ${NEW} -i eth0 ${TAG} -j NETMAP --to ${INSIDE}`]);
  t.deepEqual([...w.net.unreachable].sort(), [NEW, INSIDE].sort());
  t.deepEqual(r.changes.map((c) => `${c.action} ${c.kind} ${c.target}`), ['update firewall nat D6-NAT', `add route unreachable ${NEW}`, `remove route unreachable ${OUTSIDE}`]);
  t.deepEqual(w.state!.routes, [`unreachable ${INSIDE}`, `unreachable ${NEW}`], 'the state records the new route only');
  t.deepEqual(w.state!.bridges, ['mybr0'], 'what the last full pass recorded for the boot skeleton stays');
  // the agent's next full pass agrees: nothing to change, no batch
  const full = await reconcileOnce(w.deps);
  t.deepEqual(full.changes, [], JSON.stringify(full.changes));
  t.is(w.fw.restores.length, n + 1);
  t.deepEqual((await reconcileOnce(w.deps, { scope: 'translation' })).changes, [], 'a second scoped pass changes nothing');
  // the dry run of the scoped pass shows the same plan and changes nothing
  w.state = { ...w.state!, outsidePrefix: OUTSIDE, routes: [...w.state!.routes!, `unreachable ${OUTSIDE}`] };
  const dry = await reconcileOnce(w.deps, { scope: 'translation', dryRun: true });
  t.regex(dry.plan.batch ?? '', /NETMAP --to 2001:db8:800::\/48/);
  t.deepEqual(w.fw.tables.nat.rules['D6-DNAT'], [`-d ${NEW} -i eth0 ${TAG} -j NETMAP --to ${INSIDE}`]);
});

test('the translation-scoped pass is npt mode\'s only: other modes\' nat rules depend on Docker\'s networks', async (t) => {
  const w = world(enabledState('nat', INSIDE, true));
  await t.throwsAsync(reconcileOnce(w.deps, { scope: 'translation' }), { message: /npt mode's \(the state says mode nat\)/ });
  t.is(w.fw.restores.length, 0);
});
