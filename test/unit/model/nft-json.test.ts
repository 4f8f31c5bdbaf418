// `nft -j` output (captured from a real nft, test/fixtures/nft/) read as our chains and Docker's masquerades.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerNftMasquerades, nftTableView, parseNftJson } from '../../../src/model/nft-json';

const TAG = '-m comment --comment docker-ipv6';
const objs = parseNftJson(readFileSync(join(__dirname, '../../fixtures/nft/ours-hand-written.json'), 'utf8'));

test('our table reads as ip6tables tables: base chains with their policy, regular chains, canonical lines in order', (t) => {
  const v = nftTableView(objs, 'ip6', 'docker-ipv6');
  t.true(v.exists);
  t.deepEqual(v.base.sort(), ['FORWARD', 'POSTROUTING']);
  t.deepEqual(v.ruleset.filter.chains, { FORWARD: 'ACCEPT', 'D6-USER': '-', 'D6-FORWARD': '-' });
  t.deepEqual(v.ruleset.nat.chains, { POSTROUTING: 'ACCEPT', 'D6-NAT': '-' });
  const fwd = v.ruleset.filter.rules.filter((l) => l.startsWith('-A D6-FORWARD '));
  t.deepEqual(fwd, [
    `-A D6-FORWARD ${TAG} -j D6-USER`,
    `-A D6-FORWARD -d 2001:db8:5::/64 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -d 2001:db8:5::/64 -o docker0 -p ipv6-icmp ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -d 2001:db8:5::2/128 -o docker0 -p tcp -m tcp --dport 80 ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -d 2001:db8:5::2/128 -o docker0 -p sctp -m sctp --dport 80 ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -i docker0 -o br-+ ${TAG} -j DROP`,
    `-A D6-FORWARD -d 2001:db8:5::/48 ${TAG} -j DROP`,
  ]);
  t.deepEqual(v.ruleset.nat.rules, [`-A POSTROUTING ${TAG} -j D6-NAT`, `-A D6-NAT -s fd00:1::/64 ! -o docker0 ${TAG} -j MASQUERADE`]);
  t.is(v.handles['D6-FORWARD'].length, fwd.length);
  t.true(v.handles['D6-FORWARD'].every((h) => Number.isInteger(h) && h > 0));
});

test('a rule the admin wrote (no tag, a counter) keeps its place and never reads as one of ours', (t) => {
  const v = nftTableView(objs, 'ip6', 'docker-ipv6');
  const user = v.ruleset.filter.rules.filter((l) => l.startsWith('-A D6-USER '));
  t.is(user.length, 1);
  t.regex(user[0], /^-A D6-USER # nft rule handle \d+, not written by docker-ipv6$/);
});

test('a tagged rule with anything we never write is not ours either', (t) => {
  const rule = (expr: unknown[]) => ({ nftables: [{ table: { family: 'ip6', name: 'x' } }, { chain: { family: 'ip6', table: 'x', name: 'D6-FORWARD', handle: 1 } }, { rule: { family: 'ip6', table: 'x', chain: 'D6-FORWARD', handle: 2, comment: 'docker-ipv6', expr } }] });
  const view = (expr: unknown[]) => nftTableView(parseNftJson(JSON.stringify(rule(expr))), 'ip6', 'x').ruleset.filter.rules[0];
  t.regex(view([{ counter: { packets: 0, bytes: 0 } }, { accept: null }]), /not written by docker-ipv6/);
  t.regex(view([{ match: { op: '==', left: { payload: { protocol: 'ip6', field: 'daddr' } }, right: { set: ['2001:db8::1', '2001:db8::2'] } } }, { drop: null }]), /not written/);
  t.regex(view([{ match: { op: '!=', left: { payload: { protocol: 'ip6', field: 'daddr' } }, right: '2001:db8::1' } }, { drop: null }]), /not written/);
  t.is(view([{ drop: null }]), `-A D6-FORWARD ${TAG} -j DROP`);
});

test('an absent table is an empty view', (t) => {
  const v = nftTableView(parseNftJson(''), 'ip6', 'docker-ipv6');
  t.false(v.exists);
  t.deepEqual(v.ruleset, {});
});

test("Docker's masquerades in ip6 docker-bridges, and only there", (t) => {
  t.deepEqual(dockerNftMasquerades(objs), [
    { source: 'fd00:29::/64', bridge: 'docker0' },
    { source: 'fd00:29:1::/64', bridge: 'br-9970b7d3c488' },
  ]);
});
