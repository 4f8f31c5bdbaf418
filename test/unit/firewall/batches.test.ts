// D6-FORWARD as rendered text: per-network blocks, then the prefix-wide tail that keeps unlisted subnets closed.
import test from 'ava';
import { filterIsClosed, prefixTail, renderForwardBatch, renderRemoveBatch } from '../../../src/firewall/batches';
import { parseSave } from '../../../src/model/ip6tables-save';

const TAG = '-m comment --comment docker-ipv6';

test('the chain ends with replies, ICMPv6 and a drop for the whole prefix, after every network block', (t) => {
  const batch = renderForwardBatch('2001:db8:100::/56', [
    { subnet: '2001:db8:100::/64', bridge: 'docker0', published: [{ address: '2001:db8:100::2', port: 80, proto: 'tcp' }] },
  ], {});
  t.is(batch, [
    '*filter', ':D6-USER - [0:0]', ':D6-FORWARD - [0:0]', '-F D6-FORWARD',
    `-A D6-FORWARD ${TAG} -j D6-USER`,
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
  t.deepEqual(rules, [`-A D6-FORWARD ${TAG} -j D6-USER`, ...prefixTail('2001:db8:100::/56')]);
  t.is(rules.at(-1), `-A D6-FORWARD -d 2001:db8:100::/56 ${TAG} -j DROP`);
});

const saved = (lines: string[]) => parseSave(['*filter', ':FORWARD ACCEPT [0:0]', ...lines, 'COMMIT', ''].join('\n'));

test('D6-USER is declared only while it is missing: declaring an existing chain under --noflush would flush the admin\'s rules', (t) => {
  const existing = saved([':D6-USER - [0:0]', '-A D6-USER -s 2001:db8:9::/48 -j ACCEPT']);
  const batch = renderForwardBatch('2001:db8:100::/56', [], existing);
  t.false(batch.includes(':D6-USER'));
  t.true(batch.includes(`-A D6-FORWARD ${TAG} -j D6-USER`));
});

test('removal takes D6-USER only when it is empty and nothing else jumps to it', (t) => {
  const ours = [':D6-FORWARD - [0:0]', `-A FORWARD ${TAG} -j D6-FORWARD`, `-A D6-FORWARD ${TAG} -j D6-USER`];
  t.regex(renderRemoveBatch('filter', saved([':D6-USER - [0:0]', ...ours]))!, /-X D6-USER/);
  t.notRegex(renderRemoveBatch('filter', saved([':D6-USER - [0:0]', ...ours, '-A D6-USER -j ACCEPT']))!, /-X D6-USER/, 'the admin\'s rules keep it');
  t.notRegex(renderRemoveBatch('filter', saved([':D6-USER - [0:0]', ...ours, '-A INPUT -j D6-USER']))!, /-X D6-USER/, 'another jump keeps it');
});

test('filterIsClosed: our chain jumped to and ending with the prefix-wide drop', (t) => {
  const prefix = '2001:db8:100::/56';
  const full = saved(renderForwardBatch(prefix, [], {}).split('\n').filter((l) => l.startsWith('-A ') || l.startsWith(':')).concat([`-A FORWARD ${TAG} -j D6-FORWARD`]));
  t.true(filterIsClosed(prefix, full));
  t.false(filterIsClosed(prefix, saved([':D6-USER - [0:0]', ':D6-FORWARD - [0:0]', `-A FORWARD ${TAG} -j D6-FORWARD`])), 'flushed');
  t.false(filterIsClosed(prefix, saved([])), 'missing');
  t.false(filterIsClosed('2001:db8:200::/56', full), 'another prefix');
});
