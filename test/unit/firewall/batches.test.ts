// D6-FORWARD as rendered text: per-network blocks, then the prefix-wide tail that keeps unlisted subnets closed.
import test from 'ava';
import { prefixTail, renderForwardBatch } from '../../../src/firewall/batches';

const TAG = '-m comment --comment docker-ipv6';

test('the chain ends with replies, ICMPv6 and a drop for the whole prefix, after every network block', (t) => {
  const batch = renderForwardBatch('2001:db8:100::/56', [
    { subnet: '2001:db8:100::/64', bridge: 'docker0', published: [{ address: '2001:db8:100::2', port: 80, proto: 'tcp' }] },
  ], {});
  t.is(batch, [
    '*filter', ':D6-FORWARD - [0:0]', '-F D6-FORWARD',
    `-A D6-FORWARD -d 2001:db8:100::/64 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -d 2001:db8:100::/64 -o docker0 -p ipv6-icmp ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -d 2001:db8:100::2/128 -o docker0 -p tcp -m tcp --dport 80 ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -i docker0 -o docker0 ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -i docker0 -o docker0 ${TAG} -j DROP`,
    `-A D6-FORWARD -i docker0 -o br-+ ${TAG} -j DROP`,
    `-A D6-FORWARD -i docker0 ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -d 2001:db8:100::/64 -o docker0 ${TAG} -j DROP`,
    `-A D6-FORWARD -d 2001:db8:100::/56 -m conntrack --ctstate RELATED,ESTABLISHED ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -d 2001:db8:100::/56 -p ipv6-icmp ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -d 2001:db8:100::/56 -i docker0 -o docker0 ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -d 2001:db8:100::/56 -i br-+ -o br-+ ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -d 2001:db8:100::/56 ${TAG} -j DROP`,
    `-I FORWARD 1 ${TAG} -j D6-FORWARD`,
    'COMMIT', '',
  ].join('\n'));
});

test('no network yet: the chain still closes the prefix (a subnet Docker hands out later is not open)', (t) => {
  const rules = renderForwardBatch('2001:db8:100::/56', [], {}).split('\n').filter((l) => l.startsWith('-A D6-FORWARD '));
  t.deepEqual(rules, prefixTail('2001:db8:100::/56'));
  t.is(rules.at(-1), `-A D6-FORWARD -d 2001:db8:100::/56 ${TAG} -j DROP`);
});
