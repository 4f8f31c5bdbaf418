// The chosen NAT66 source as rule data: our SNAT line round-trips through ip6tables-save and nftables, Docker's own
// SNAT (com.docker.network.host_ipv6) is read from both backends, and the state file refuses a bad source.
import test from 'ava';
import { renderNatBatch } from '../../../src/firewall/batches';
import { nftStatement, parseRuleLine, ruleLine } from '../../../src/model/fw-rule';
import { dockerMasquerades, dockerNatRule } from '../../../src/model/ip6tables-save';
import { dockerNftMasquerades, ruleFromNft, type NftObjects } from '../../../src/model/nft-json';
import { stateProblem } from '../../../src/model/state-check';

const TAG = '-m comment --comment docker-ipv6';

test('an SNAT line we render parses and renders back; the source is part of it', (t) => {
  const batch = renderNatBatch([{ subnet: 'fd00:1::/64', bridge: 'docker0', to: '2001:db8:1::99' }, { subnet: 'fd00:1:1::/64', bridge: 'br-0123456789ab' }], {});
  const [snat, masq] = batch.split('\n').filter((l) => l.startsWith('-A D6-NAT'));
  t.is(snat, `-A D6-NAT -s fd00:1::/64 ! -o docker0 ${TAG} -j SNAT --to-source 2001:db8:1::99`);
  t.is(masq, `-A D6-NAT -s fd00:1:1::/64 ! -o br-0123456789ab ${TAG} -j MASQUERADE`);
  const r = parseRuleLine(snat)!;
  t.is(r.target, 'SNAT');
  t.is(r.toSource, '2001:db8:1::99');
  t.is(ruleLine(r), snat);
  t.is(nftStatement(r), 'ip6 saddr fd00:1::/64 oifname != "docker0" snat to 2001:db8:1::99 comment "docker-ipv6"');
});

test('SNAT lines that are not exactly ours are not ours', (t) => {
  for (const l of [
    `-A D6-NAT -s fd00:1::/64 ! -o docker0 ${TAG} -j SNAT`, // no source
    `-A D6-NAT -s fd00:1::/64 ! -o docker0 ${TAG} -j SNAT --to-source 192.0.2.1`, // not IPv6
    `-A D6-NAT -s fd00:1::/64 ! -o docker0 ${TAG} -j SNAT --to-source [2001:db8::1]:80`, // ports
    `-A D6-NAT -s fd00:1::/64 ! -o docker0 ${TAG} -j SNAT --to-source 2001:db8::1 --random`,
    `-A D6-NAT -s fd00:1::/64 ! -o docker0 ${TAG} -j MASQUERADE --to-source 2001:db8::1`,
  ]) t.is(parseRuleLine(l), undefined, l);
});

const nftRule = (chain: string, expr: unknown[], comment?: string) => ({ family: 'ip6', table: 'x', chain, handle: 7, ...(comment ? { comment } : {}), expr });
const saddr = (addr: string, len: number) => ({ match: { op: '==', left: { payload: { protocol: 'ip6', field: 'saddr' } }, right: { prefix: { addr, len } } } });
const notOut = (name: string) => ({ match: { op: '!=', left: { meta: { key: 'oifname' } }, right: name } });

test('our SNAT read back from nft -j is the same line; Docker\'s snat and masquerade both count as its NAT', (t) => {
  const ours = nftRule('D6-NAT', [saddr('fd00:1::', 64), notOut('docker0'), { snat: { addr: '2001:DB8:1::99' } }], 'docker-ipv6');
  t.is(ruleFromNft(ours), `-A D6-NAT -s fd00:1::/64 ! -o docker0 ${TAG} -j SNAT --to-source 2001:db8:1::99`);
  t.is(ruleFromNft(nftRule('D6-NAT', [saddr('fd00:1::', 64), { snat: { addr: 'not-an-address' } }], 'docker-ipv6')), undefined);
  // as measured on Docker 29.7 (nftables backend): one chain per bridge, a counter between
  const objs: NftObjects = {
    tables: [{ family: 'ip6', name: 'docker-bridges' }], chains: [],
    rules: [
      { ...nftRule('nat-postrouting-out__docker0', [notOut('docker0'), saddr('fd90::', 64), { counter: { packets: 0, bytes: 0 } }, { masquerade: null }]), table: 'docker-bridges' },
      { ...nftRule('nat-postrouting-out__br-e0bcafcc5e73', [notOut('br-e0bcafcc5e73'), saddr('fd00:aa::', 64), { counter: { packets: 0, bytes: 0 } }, { snat: { addr: '2001:db8:1::2' } }]), table: 'docker-bridges' },
    ],
  };
  t.deepEqual(dockerNftMasquerades(objs), [
    { source: 'fd90::/64', bridge: 'docker0' },
    { source: 'fd00:aa::/64', bridge: 'br-e0bcafcc5e73', to: '2001:db8:1::2' },
  ]);
});

test('Docker\'s ip6tables NAT rules as measured on 28.5: masquerade, and SNAT for host_ipv6; ours and others are not Docker\'s', (t) => {
  const rules = [
    '-A POSTROUTING -s fd00:aa::/64 ! -o br-1675b03a92d6 -j SNAT --to-source 2001:db8:1::2',
    '-A POSTROUTING -s fd01:f6c9:6f0::/64 ! -o docker0 -j MASQUERADE',
    `-A POSTROUTING ${TAG} -j D6-NAT`,
    '-A POSTROUTING -o eth0 -j MASQUERADE',
    '-A POSTROUTING -s fd00:bb::/64 -j ACCEPT',
  ];
  t.deepEqual(dockerMasquerades({ nat: { chains: {}, rules } }), [
    { source: 'fd00:aa::/64', bridge: 'br-1675b03a92d6', to: '2001:db8:1::2' },
    { source: 'fd01:f6c9:6f0::/64', bridge: 'docker0' },
  ]);
  t.is(dockerNatRule(rules[2]), undefined);
});

test('state: natSource must be a global or ULA address in canonical form; enabled.mtu from 1280 below 1500', (t) => {
  const base = { version: 1, prefix: 'fd00:1::/48', mode: 'nat', uplink: 'eth0' };
  t.is(stateProblem({ ...base, natSource: '2001:db8:1::99' }), undefined);
  for (const bad of ['2001:DB8:1::99', '2001:db8:1:0::99', 'fe80::1', '::1', '2001:db8::/64', '-j ACCEPT', 42]) {
    t.is(stateProblem({ ...base, natSource: bad })?.field, 'natSource', String(bad));
  }
  const enabled = { at: 'x', daemonJson: { path: '/etc/docker/daemon.json', fileExisted: true, undo: { previous: {} } }, sysctls: {}, sysctlFileWritten: true, natByUs: false, filterByUs: false };
  t.is(stateProblem({ ...base, enabled: { ...enabled, mtu: 1420 } }), undefined);
  for (const bad of [1279, 1500, 1420.5, '1420']) t.is(stateProblem({ ...base, enabled: { ...enabled, mtu: bad } })?.field, 'enabled.mtu', String(bad));
});
