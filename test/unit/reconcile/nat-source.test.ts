// The chosen NAT66 source in reconcile: our SNAT rules cover what Docker does not SNAT itself, and our jump is kept
// above Docker's NAT rule for those subnets (Docker re-inserts it first at every start), moving only our own rule.
import test from 'ava';
import { reconcileOnce } from '../../../src/reconcile';
import { desiredNatRules } from '../../../src/reconcile/desired';
import { shadowingNatRule } from '../../../src/reconcile/diff';
import { ourSnatSource } from '../../../src/observe/outside';
import { dockerFacts, HOST_IPV6_OPTION, NAT_SOURCE_LABEL } from '../../../src/model/docker';
import { enabledState, net, world } from '../../fakes/reconcile';

const ULA = 'fd12:3456:789a::/48';
const SRC = '2001:db8:1::99';
const TAG = '-m comment --comment docker-ipv6';
const JUMP = `${TAG} -j D6-NAT`;

function natWorld(natByUs = false) {
  const w = world({ ...enabledState('nat', ULA, natByUs), natSource: SRC });
  const own = net('own', 'o'.repeat(64), 'fd12:3456:789a:1::/64');
  own.Options = { [HOST_IPV6_OPTION]: SRC };
  own.Labels = { [NAT_SOURCE_LABEL]: SRC };
  const theirs = net('theirs', 't'.repeat(64), 'fd12:3456:789a:2::/64');
  theirs.Options = { [HOST_IPV6_OPTION]: '2001:db8:1::2' }; // the admin's option, not ours: our source wins
  w.networks = [net('bridge', 'b'.repeat(64), 'fd12:3456:789a::/64'), own, theirs, net('plain', 'p'.repeat(64), 'fd12:3456:789a:3::/64')];
  return w;
}

const snat = (subnet: string, bridge: string) => `-A D6-NAT -s ${subnet} ! -o ${bridge} ${TAG} -j SNAT --to-source ${SRC}`;

test('our SNAT covers every network of the prefix but the one Docker SNATs to the source itself (network create\'s label)', (t) => {
  const w = natWorld();
  const rules = desiredNatRules({ prefix: ULA, natByUs: false, natSource: SRC }, dockerFacts(w.networks, []));
  t.deepEqual(rules, [
    snat('fd12:3456:789a::/64', 'docker0'),
    snat('fd12:3456:789a:2::/64', `br-${'t'.repeat(12)}`),
    snat('fd12:3456:789a:3::/64', `br-${'p'.repeat(12)}`),
  ]);
  // with "iptables": false Docker programs no NAT at all, so its option does nothing: every network is ours to SNAT
  t.is(desiredNatRules({ prefix: ULA, natByUs: true, natSource: SRC }, dockerFacts(w.networks, [])).length, 4);
  // without a chosen source in nat mode (Docker masquerades) there is no chain of ours
  t.deepEqual(desiredNatRules({ prefix: ULA, natByUs: true }, dockerFacts(w.networks, [])).map((r) => r.split(' -j ')[1]), ['MASQUERADE', 'MASQUERADE', 'MASQUERADE', 'MASQUERADE']);
});

test('Docker\'s masquerade re-inserted above our jump (a dockerd restart) moves our jump right above it; the admin\'s rule keeps its place', async (t) => {
  const w = natWorld();
  const pr = w.fw.tables.nat.rules.POSTROUTING;
  pr.push('-s fd12:3456:789a::/64 ! -o docker0 -j MASQUERADE');
  const r1 = await reconcileOnce(w.deps);
  t.deepEqual(r1.changes.map((c) => c.target), ['nat D6-NAT']);
  t.is(w.fw.tables.nat.rules.POSTROUTING[0], JUMP, 'added first');
  t.is((await reconcileOnce(w.deps)).changes.length, 0, 'a second pass changes nothing');
  // dockerd restarts: its rule goes first again; an admin's unrelated rule sits at the very top
  w.fw.tables.nat.rules.POSTROUTING = ['-o eth9 -j ACCEPT', '-s fd12:3456:789a::/64 ! -o docker0 -j MASQUERADE', JUMP];
  const r2 = await reconcileOnce(w.deps);
  t.regex(r2.changes[0].reason, /Docker's "-A POSTROUTING -s fd12:3456:789a::\/64 ! -o docker0 -j MASQUERADE" comes before the jump to D6-NAT/);
  t.deepEqual(w.fw.tables.nat.rules.POSTROUTING, ['-o eth9 -j ACCEPT', JUMP, '-s fd12:3456:789a::/64 ! -o docker0 -j MASQUERADE']);
  t.is((await reconcileOnce(w.deps)).changes.length, 0);
});

test('a rule of Docker\'s for a subnet Docker SNATs to our source itself, or for a subnet outside the prefix, moves nothing', (t) => {
  const want = desiredNatRules({ prefix: ULA, natByUs: false, natSource: SRC }, dockerFacts(natWorld().networks, []));
  t.is(shadowingNatRule([`-A POSTROUTING -s fd12:3456:789a:1::/64 ! -o br-${'o'.repeat(12)} -j SNAT --to-source ${SRC}`, `-A POSTROUTING ${JUMP}`], want), -1);
  t.is(shadowingNatRule(['-A POSTROUTING -s fd00:77::/64 ! -o br-x -j MASQUERADE', `-A POSTROUTING ${JUMP}`], want), -1);
  // the admin's other address on a network, SNATed by Docker: ours must decide first
  t.is(shadowingNatRule([`-A POSTROUTING -s fd12:3456:789a:2::/64 ! -o br-${'t'.repeat(12)} -j SNAT --to-source 2001:db8:1::2`, `-A POSTROUTING ${JUMP}`], want), 0);
  // masquerade rules of our own (natByUs, no source) are never moved for
  t.is(shadowingNatRule(['-A POSTROUTING -s fd12:3456:789a::/64 ! -o docker0 -j MASQUERADE'], [`-A D6-NAT -s fd12:3456:789a::/64 ! -o docker0 ${TAG} -j MASQUERADE`]), -1);
});

test('the source dropped (--nat-source none) with Docker\'s NAT on: chain and jump go', async (t) => {
  const w = natWorld();
  await reconcileOnce(w.deps);
  t.truthy(w.fw.tables.nat.rules['D6-NAT']);
  delete w.state!.natSource;
  await reconcileOnce(w.deps);
  t.false(w.fw.tables.nat.chains.includes('D6-NAT'));
  t.deepEqual(w.fw.tables.nat.rules.POSTROUTING, []);
});

test('a saved source outside nat mode is not used', async (t) => {
  const w = world({ ...enabledState('routed', '2001:db8:100::/48'), natSource: SRC });
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:100::/64')];
  await reconcileOnce(w.deps);
  t.false(w.fw.tables.nat.chains.includes('D6-NAT'));
});

test('the chosen source read back from our nat chain (recover --rebuild-state): our SNAT rule\'s, never Docker\'s own SNAT or a masquerade', (t) => {
  const fw = (rules: string[]) => ({ firewall: { available: true, tables: { nat: { chains: {}, rules } } } }) as unknown as Parameters<typeof ourSnatSource>[0];
  const ours = desiredNatRules({ prefix: ULA, natByUs: false, natSource: SRC }, dockerFacts(natWorld().networks, []));
  const docker = '-A POSTROUTING -s fd12:3456:789a:1::/64 ! -o br-o -j SNAT --to-source 2001:db8:1::2';
  t.is(ourSnatSource(fw([docker, ...ours])), SRC);
  t.is(ourSnatSource(fw([docker, `-A D6-NAT -s ${ULA} ! -o docker0 ${TAG} -j MASQUERADE`])), undefined);
  t.is(ourSnatSource(fw([])), undefined);
});
