// D6-FORWARD and D6-INBOUND as rendered text: every Docker bridge ends in a drop of its own, whatever its name
// or subnet; internal networks only inside themselves; the catch-alls close unlisted docker0 / br-* bridges.
import test from 'ava';
import { bridgeEndsInDrop, chainEndsClosed, filterIsClosed, forwardRules, renderForwardBatch, renderRemoveBatch, skeletonRules } from '../../../src/firewall/batches';
import { parseSave } from '../../../src/model/ip6tables-save';

const TAG = '-m comment --comment docker-ipv6';
const HOST = { uplink: 'eth0' };

test('golden: one network with a published port, one internal network, the catch-alls', (t) => {
  const batch = renderForwardBatch([
    { bridge: 'docker0', internal: false, published: [{ address: '2001:db8:100::2', port: 80, proto: 'tcp' }] },
    { bridge: 'br-0123456789ab', internal: true, published: [{ address: '2001:db8:100:1::2', port: 81, proto: 'tcp' }] },
  ], HOST, {});
  t.is(batch, [
    '*filter', ':D6-USER - [0:0]', ':D6-INBOUND - [0:0]', '-F D6-INBOUND', ':D6-FORWARD - [0:0]', '-F D6-FORWARD',
    `-A D6-INBOUND -m conntrack --ctstate RELATED,ESTABLISHED ${TAG} -j ACCEPT`,
    `-A D6-INBOUND -p ipv6-icmp -m icmp6 --icmpv6-type 1 ${TAG} -j ACCEPT`,
    `-A D6-INBOUND -p ipv6-icmp -m icmp6 --icmpv6-type 2 ${TAG} -j ACCEPT`,
    `-A D6-INBOUND -p ipv6-icmp -m icmp6 --icmpv6-type 3 ${TAG} -j ACCEPT`,
    `-A D6-INBOUND -p ipv6-icmp -m icmp6 --icmpv6-type 4 ${TAG} -j ACCEPT`,
    `-A D6-INBOUND -p ipv6-icmp -m icmp6 --icmpv6-type 128 ${TAG} -j ACCEPT`,
    `-A D6-INBOUND -d 2001:db8:100::2/128 -p tcp -m tcp --dport 80 ${TAG} -j ACCEPT`,
    `-A D6-FORWARD ${TAG} -j D6-USER`,
    // from the bridges: the internal one only inside itself; the other to itself, the uplink, replies
    `-A D6-FORWARD -i br-0123456789ab -o br-0123456789ab ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -i br-0123456789ab ${TAG} -j DROP`,
    `-A D6-FORWARD -i docker0 -o docker0 ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -i docker0 -o eth0 ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -i docker0 -m conntrack --ctstate RELATED,ESTABLISHED ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -i docker0 ${TAG} -j DROP`,
    // toward the bridges: the internal one nothing; the other what D6-INBOUND lets in, then the drop
    `-A D6-FORWARD -o br-0123456789ab ${TAG} -j DROP`,
    `-A D6-FORWARD -o docker0 ${TAG} -j D6-INBOUND`,
    `-A D6-FORWARD -o docker0 ${TAG} -j DROP`,
    // the catch-alls (docker0 is listed: its own drops stand for its catch-all)
    `-A D6-FORWARD -i br-+ -o br-+ ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -o br-+ ${TAG} -j DROP`,
    `-A D6-FORWARD -i br-+ ${TAG} -j DROP`,
    `-I FORWARD 1 ${TAG} -j D6-FORWARD`,
    'COMMIT', '',
  ].join('\n'));
  t.false(batch.includes('2001:db8:100:1::2'), 'an internal network publishes nothing to the world');
});

test('no rule depends on the prefix: nothing in the chains names an address but published ports and closed subnets', (t) => {
  const rules = forwardRules([{ bridge: 'mybr', internal: false, published: [] }], { uplink: 'eth0', closedSubnets: ['fd99:1::/64'] });
  const withAddr = rules.filter((r) => / -[sd] /.test(r));
  t.deepEqual(withAddr, [`-A D6-FORWARD -s fd99:1::/64 ${TAG} -j DROP`, `-A D6-FORWARD -d fd99:1::/64 ${TAG} -j DROP`]);
  t.true(rules.includes(`-A D6-FORWARD -o mybr ${TAG} -j DROP`), 'a bridge name of its own ends in its own drop');
  t.true(rules.includes(`-A D6-FORWARD -i mybr ${TAG} -j DROP`), 'and its traffic out goes only where its accepts allow');
});

test('host interfaces the catch-alls would match are spared: returned to FORWARD, never dropped by a Docker catch-all', (t) => {
  const rules = forwardRules([], { uplink: 'br-lan', spared: ['br-lan', 'br-wan'] });
  t.deepEqual(rules.slice(1), [
    `-A D6-FORWARD -o br-lan ${TAG} -j RETURN`, `-A D6-FORWARD -o br-wan ${TAG} -j RETURN`,
    `-A D6-FORWARD -i docker0 -o docker0 ${TAG} -j ACCEPT`, `-A D6-FORWARD -i br-+ -o br-+ ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -o docker0 ${TAG} -j DROP`, `-A D6-FORWARD -o br-+ ${TAG} -j DROP`,
    `-A D6-FORWARD -i br-lan ${TAG} -j RETURN`, `-A D6-FORWARD -i br-wan ${TAG} -j RETURN`,
    `-A D6-FORWARD -i docker0 ${TAG} -j DROP`, `-A D6-FORWARD -i br-+ ${TAG} -j DROP`,
  ]);
});

test('a bridge named like the uplink gets its own-bridge accept once, not a second one toward the uplink', (t) => {
  const rules = forwardRules([{ bridge: 'eth0', internal: false, published: [] }], HOST);
  t.is(rules.filter((r) => r.includes('-i eth0 -o eth0')).length, 1);
});

const saved = (lines: string[]) => parseSave(['*filter', ':FORWARD ACCEPT [0:0]', ...lines, 'COMMIT', ''].join('\n'));
const installed = (batch: string) => saved(batch.split('\n').filter((l) => l.startsWith('-A ') || l.startsWith(':')).concat([`-A FORWARD ${TAG} -j D6-FORWARD`]));

test('D6-USER is declared only while it is missing: declaring an existing chain under --noflush would flush the admin\'s rules', (t) => {
  const existing = saved([':D6-USER - [0:0]', '-A D6-USER -s 2001:db8:9::/48 -j ACCEPT']);
  const batch = renderForwardBatch([], HOST, existing);
  t.false(batch.includes(':D6-USER'));
  t.true(batch.includes(`-A D6-FORWARD ${TAG} -j D6-USER`));
});

test('removal takes both chains, D6-FORWARD (which jumps to D6-INBOUND) first, and D6-USER only when it is empty and nothing else jumps to it', (t) => {
  const ours = [':D6-FORWARD - [0:0]', ':D6-INBOUND - [0:0]', `-A FORWARD ${TAG} -j D6-FORWARD`, `-A D6-FORWARD ${TAG} -j D6-USER`, `-A D6-FORWARD -o docker0 ${TAG} -j D6-INBOUND`];
  const b = renderRemoveBatch('filter', saved([':D6-USER - [0:0]', ...ours]))!;
  t.regex(b, /-F D6-INBOUND\n-F D6-FORWARD\n-X D6-FORWARD\n-X D6-INBOUND\n-X D6-USER/);
  t.notRegex(renderRemoveBatch('filter', saved([':D6-USER - [0:0]', ...ours, '-A D6-USER -j ACCEPT']))!, /-X D6-USER/, 'the admin\'s rules keep it');
  t.notRegex(renderRemoveBatch('filter', saved([':D6-USER - [0:0]', ...ours, '-A INPUT -j D6-USER']))!, /-X D6-USER/, 'another jump keeps it');
});

test('filterIsClosed: jumped to, ending with the catch-all drops, and a drop for each bridge the state names', (t) => {
  const full = installed(renderForwardBatch([{ bridge: 'mybr', internal: false, published: [] }], HOST, {}));
  t.true(filterIsClosed(full));
  t.true(filterIsClosed(full, ['mybr']));
  t.false(filterIsClosed(full, ['otherbr']), 'a named bridge the chain does not close');
  t.false(filterIsClosed(saved([':D6-USER - [0:0]', ':D6-FORWARD - [0:0]', `-A FORWARD ${TAG} -j D6-FORWARD`])), 'flushed');
  t.false(filterIsClosed(saved([])), 'missing');
  t.true(chainEndsClosed(installed(renderForwardBatch([], HOST, {}))));
  t.true(bridgeEndsInDrop(full, 'mybr'));
  t.false(bridgeEndsInDrop(full, 'otherbr'), 'a bridge no rule names');
});

test('a flushed D6-INBOUND lets nothing through: each bridge still meets its own drop right after the jump', (t) => {
  const rules = forwardRules([{ bridge: 'br-aaaaaaaaaaaa', internal: false, published: [] }], HOST);
  const at = rules.indexOf(`-A D6-FORWARD -o br-aaaaaaaaaaaa ${TAG} -j D6-INBOUND`);
  t.is(rules[at + 1], `-A D6-FORWARD -o br-aaaaaaaaaaaa ${TAG} -j DROP`);
});

test('the skeleton closes the named bridges both ways but inside themselves, and the catch-alls', (t) => {
  const rules = skeletonRules(['mybr'], HOST).filter((r) => r.startsWith('-A D6-FORWARD '));
  t.deepEqual(rules, [
    `-A D6-FORWARD ${TAG} -j D6-USER`,
    `-A D6-FORWARD -i mybr -o mybr ${TAG} -j ACCEPT`, `-A D6-FORWARD -i mybr ${TAG} -j DROP`, `-A D6-FORWARD -o mybr ${TAG} -j DROP`,
    `-A D6-FORWARD -i docker0 -o docker0 ${TAG} -j ACCEPT`, `-A D6-FORWARD -i br-+ -o br-+ ${TAG} -j ACCEPT`,
    `-A D6-FORWARD -o docker0 ${TAG} -j DROP`, `-A D6-FORWARD -o br-+ ${TAG} -j DROP`, `-A D6-FORWARD -i docker0 ${TAG} -j DROP`, `-A D6-FORWARD -i br-+ ${TAG} -j DROP`,
  ]);
});
