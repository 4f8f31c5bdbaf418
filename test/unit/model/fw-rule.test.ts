// Our rule lines as data: every line the batches render parses and renders back; nothing else counts as ours.
import test from 'ava';
import { renderForwardBatch, renderNatBatch } from '../../../src/firewall/batches';
import { nftStatement, parseRuleLine, ruleLine } from '../../../src/model/fw-rule';
import { ruleFromNft } from '../../../src/model/nft-json';
import { ifNameProblem } from '../../../src/model/names';

const TAG = '-m comment --comment docker-ipv6';
const lines = (batch: string) => batch.split('\n').filter((l) => l.startsWith('-A '));

test('every rule the batches write reads back to itself', (t) => {
  const fwd = renderForwardBatch([
    { bridge: 'docker0', internal: false, published: [{ address: '2001:db8:100::2', port: 80, proto: 'tcp' }, { address: '2001:db8:100::2', port: 53, proto: 'udp' }, { address: '2001:db8:100::3', port: 9, proto: 'sctp' }] },
    { bridge: 'br-0123456789ab', internal: true, published: [] },
    { bridge: 'mybr', internal: false, published: [] },
  ], { uplink: 'eth0', spared: ['br-lan'], closedSubnets: ['fd99:1::/64'] }, {});
  const nat = renderNatBatch([{ subnet: 'fd00:1::/64', bridge: 'docker0' }], {});
  const all = [...lines(fwd), ...lines(nat), `-A FORWARD ${TAG} -j D6-FORWARD`, `-A POSTROUTING ${TAG} -j D6-NAT`];
  t.true(all.length > 20);
  for (const l of all) {
    const r = parseRuleLine(l);
    t.truthy(r, l);
    t.is(ruleLine(r!), l);
  }
});

test('a line that is not exactly one we write is not ours', (t) => {
  for (const l of [
    '-A D6-FORWARD -d 2001:db8::/64 -j DROP', // untagged
    `-A D6-FORWARD -o docker0 -d 2001:db8::/64 ${TAG} -j DROP`, // order ip6tables-save never prints
    `-A D6-FORWARD -d 2001:db8::/64 -d 2001:db8:1::/64 ${TAG} -j DROP`, // twice
    `-A D6-FORWARD -d 2001:db8::/64 -p tcp --dport 22 ${TAG} -j DROP`, // match without -m
    `-A D6-FORWARD -d 2001:db8::/64 ${TAG} -j LOG --log-prefix x`, // target options
    `-A D6-FORWARD -m set --match-set x dst ${TAG} -j ACCEPT`,
    `-I D6-FORWARD 1 ${TAG} -j DROP`,
  ]) t.is(parseRuleLine(l), undefined, l);
});

test('nftables statements: wildcard bridges, negated outputs, ports, conntrack, verdicts and jumps', (t) => {
  const st = (l: string) => nftStatement(parseRuleLine(l)!);
  t.is(st(`-A D6-FORWARD -d 2001:db8::/64 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED ${TAG} -j ACCEPT`),
    'ip6 daddr 2001:db8::/64 oifname "docker0" ct state established,related accept comment "docker-ipv6"');
  t.is(st(`-A D6-FORWARD -d 2001:db8::2/128 -o br-1 -p tcp -m tcp --dport 80 ${TAG} -j ACCEPT`),
    'ip6 daddr 2001:db8::2/128 oifname "br-1" tcp dport 80 accept comment "docker-ipv6"');
  t.is(st(`-A D6-FORWARD -d 2001:db8::/64 -p ipv6-icmp ${TAG} -j ACCEPT`), 'ip6 daddr 2001:db8::/64 meta l4proto ipv6-icmp accept comment "docker-ipv6"');
  t.is(st(`-A D6-FORWARD -i docker0 -o br-+ ${TAG} -j DROP`), 'iifname "docker0" oifname "br-*" drop comment "docker-ipv6"');
  t.is(st(`-A D6-NAT -s fd00:1::/64 ! -o docker0 ${TAG} -j MASQUERADE`), 'ip6 saddr fd00:1::/64 oifname != "docker0" masquerade comment "docker-ipv6"');
  t.is(st(`-A D6-FORWARD ${TAG} -j D6-USER`), 'jump D6-USER comment "docker-ipv6"');
  t.is(st(`-A D6-INBOUND -p ipv6-icmp -m icmp6 --icmpv6-type 2 ${TAG} -j ACCEPT`), 'icmpv6 type 2 accept comment "docker-ipv6"');
  t.is(st(`-A D6-FORWARD -o br-lan ${TAG} -j RETURN`), 'oifname "br-lan" return comment "docker-ipv6"');
  t.is(st(`-A D6-FORWARD -i docker0 -m conntrack --ctstate RELATED,ESTABLISHED ${TAG} -j ACCEPT`), 'iifname "docker0" ct state established,related accept comment "docker-ipv6"');
  t.is(parseRuleLine(`-A D6-INBOUND -p tcp -m icmp6 --icmpv6-type 2 ${TAG} -j ACCEPT`), undefined, 'an icmp6 match only with its protocol');
});

test("an attacker's bridge name never becomes a wildcard or a second statement in nftables", (t) => {
  // names reach a rule only through dockerView's ifNameProblem: nftables' "*" and anything that could close the
  // quoted string are refused there, so the quoted name in the statement is always a literal interface
  for (const bad of ['br*', '*', 'a"b', 'a\\b', 'a b', 'a;b', 'a}b', 'x+']) t.truthy(ifNameProblem(bad), bad);
  t.is(ifNameProblem('br-0123456789ab'), undefined);
  t.is(nftStatement(parseRuleLine(`-A D6-FORWARD -i br-0123456789ab ${TAG} -j ACCEPT`)!), 'iifname "br-0123456789ab" accept comment "docker-ipv6"');
});

test('npt: D6-INBOUND sends back what came by the uplink untranslated, in ip6tables and nftables, and reads back from nft -j', (t) => {
  const inbound = (translatedOnly: boolean) => lines(renderForwardBatch([{ bridge: 'docker0', internal: false, published: [{ address: 'fd00:1::2', port: 80, proto: 'tcp' }] }], { uplink: 'eth0', translatedOnly }, {})).filter((l) => l.startsWith('-A D6-INBOUND '));
  const line = `-A D6-INBOUND -i eth0 -m conntrack ! --ctstate DNAT ${TAG} -j RETURN`;
  t.is(inbound(true)[1], line, 'right after the replies, before the ICMPv6 set and the published ports');
  t.false(inbound(false).includes(line), 'routed mode has no translation to ask about');
  t.is(ruleLine(parseRuleLine(line)!), line);
  // `ct status != dnat` would compare the whole status word: `!` tests the bit (nft --debug=netlink, nft 1.0.6)
  t.is(nftStatement(parseRuleLine(line)!), 'iifname "eth0" ct status ! dnat return comment "docker-ipv6"');
  // as nft 1.0.6 lists that statement with -j
  const rule = { family: 'ip6', table: 'docker-ipv6', chain: 'D6-INBOUND', handle: 7, comment: 'docker-ipv6', expr: [
    { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth0' } }, { match: { op: '!', left: { ct: { key: 'status' } }, right: 'dnat' } }, { return: null },
  ] };
  t.is(ruleFromNft(rule), line);
});
