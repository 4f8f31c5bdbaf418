// The nftables adapter on a real nft, in a namespace of this run: the batches of our chains go in as one script,
// read back as the same lines (so the diff sees no change), keep the admin's rules, refuse as a whole, and go
// away leaving the ruleset as it was.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { filterRules, renderForwardBatch, renderNatBatch, renderRemoveBatch } from '../../src/firewall/batches';
import { Nftables, nftBinary, nftFirewall } from '../../src/host/nftables';
import { tableSection } from '../../src/reconcile/diff';
import { insertions } from '../../src/reconcile/fast';
import { run } from '../../src/util/exec';
import { uniqueName } from '../helpers/lab';

const NETS = [
  { bridge: 'docker0', internal: false, published: [{ address: '2001:db8:100::2', port: 80, proto: 'tcp' as const }, { address: '2001:db8:100::2', port: 53, proto: 'udp' as const }] },
  { bridge: 'br-0123456789ab', internal: true, published: [] },
];
const HOST = { uplink: 'eth0', spared: ['br-lan'], closedSubnets: ['fd99:1::/64'] };
const ours = (batch: string, chain: string) => batch.split('\n').filter((l) => l.startsWith(`-A ${chain} `));
const both = (batch: string) => [...ours(batch, 'D6-INBOUND'), ...ours(batch, 'D6-FORWARD')];

async function inNamespace(t: import('ava').ExecutionContext): Promise<{ ns: string; nft: (...a: string[]) => Promise<string>; fw: ReturnType<typeof nftFirewall> }> {
  const ns = uniqueName('d6nft');
  await run(['ip', 'netns', 'add', ns]);
  t.teardown(() => run(['ip', 'netns', 'del', ns]).then(() => undefined));
  const runner: typeof run = (argv, o) => run(['nsenter', `--net=/var/run/netns/${ns}`, '--', ...argv], o);
  const nft = async (...a: string[]) => (await runner([nftBinary(), ...a])).stdout;
  return { ns, nft, fw: nftFirewall(new Nftables(runner)) };
}

test('a filter batch goes in as one script and reads back as the very lines; the diff then sees nothing to do', async (t) => {
  const { nft, fw } = await inNamespace(t);
  t.is(await nft('list', 'ruleset'), '', 'a fresh namespace has no ruleset');
  const batch = renderForwardBatch(NETS, HOST, await fw.read());
  await fw.restore(batch);
  const rs = await fw.read();
  t.deepEqual(rs.filter.rules.filter((l) => l.startsWith('-A D6-FORWARD ')), ours(batch, 'D6-FORWARD'));
  t.deepEqual(rs.filter.rules.filter((l) => l.startsWith('-A D6-INBOUND ')), ours(batch, 'D6-INBOUND'), 'icmpv6 types, published ports and conntrack read back as written');
  t.deepEqual(rs.filter.rules.filter((l) => l.startsWith('-A FORWARD ')), ['-A FORWARD -m comment --comment docker-ipv6 -j D6-FORWARD']);
  t.is(tableSection('filter', both(batch), rs), undefined, 'idempotent: nothing to change');
  t.regex(await nft('list', 'chain', 'ip6', 'docker-ipv6', 'FORWARD'), /type filter hook forward priority filter - 1; policy accept;/);
});

test("the admin's rule in D6-USER survives our rewrites; removal keeps D6-USER while it holds a rule, then leaves nothing", async (t) => {
  const { nft, fw } = await inNamespace(t);
  const first = renderForwardBatch(NETS, HOST, await fw.read());
  await fw.restore(first);
  await nft('add', 'rule', 'ip6', 'docker-ipv6', 'D6-USER', 'ip6', 'daddr', '2001:db8:100::/56', 'tcp', 'dport', '22', 'drop');
  // the networks change: the chain is written again, D6-USER is not declared (it exists) and keeps the rule
  const second = renderForwardBatch(NETS.slice(0, 1), HOST, await fw.read());
  t.notRegex(second, /^:D6-USER/m);
  await fw.restore(second);
  t.regex(await nft('list', 'chain', 'ip6', 'docker-ipv6', 'D6-USER'), /tcp dport 22 drop/);
  t.deepEqual((await fw.read()).filter.rules.filter((l) => l.startsWith('-A D6-FORWARD ')), ours(second, 'D6-FORWARD'));
  await fw.restore(renderRemoveBatch('filter', await fw.read())!);
  t.regex(await nft('list', 'ruleset'), /chain D6-USER \{[\s\S]*tcp dport 22 drop/, "D6-USER with the admin's rule stays");
  t.notRegex(await nft('list', 'ruleset'), /D6-FORWARD|D6-INBOUND|hook forward/);
  await nft('flush', 'chain', 'ip6', 'docker-ipv6', 'D6-USER');
  await fw.restore(renderRemoveBatch('filter', await fw.read())!);
  t.is(await nft('list', 'ruleset'), '', 'nothing of ours is left: the ruleset is as the namespace had it');
});

test('a script nft refuses changes nothing (one transaction)', async (t) => {
  const { nft, fw } = await inNamespace(t);
  await fw.restore(renderForwardBatch(NETS, HOST, await fw.read()));
  const before = await nft('-a', 'list', 'ruleset');
  // valid for the translator, refused by the kernel: D6-FORWARD is still jumped to when the chain is deleted
  const bad = '*filter\n-F D6-FORWARD\n-A D6-FORWARD -m comment --comment docker-ipv6 -j DROP\n-D FORWARD -m comment --comment docker-ipv6 -j D6-FORWARD\n-A D6-FORWARD -m comment --comment docker-ipv6 -j NOSUCHCHAIN\nCOMMIT\n';
  await t.throwsAsync(fw.restore(bad));
  t.is(await nft('-a', 'list', 'ruleset'), before, 'the ruleset, handles included, is as before');
});

test("nat: our masquerade's chain and hook; Docker's masquerades read from its own table", async (t) => {
  const { ns, nft, fw } = await inNamespace(t);
  const nat = renderNatBatch([{ subnet: 'fd00:1::/64', bridge: 'docker0' }], await fw.read());
  await fw.restore(nat);
  const rs = await fw.read('nat');
  t.deepEqual(rs.nat.rules.filter((l) => l.startsWith('-A POSTROUTING ')), ['-A POSTROUTING -m comment --comment docker-ipv6 -j D6-NAT']);
  t.deepEqual(rs.nat.rules.filter((l) => l.startsWith('-A D6-NAT ')), ours(nat, 'D6-NAT'));
  t.is(tableSection('nat', ours(nat, 'D6-NAT'), rs), undefined, 'idempotent');
  t.deepEqual(await fw.read('filter'), {}, 'no filter part');
  t.deepEqual(await fw.dockerMasquerades(), [], "no Docker table: no Docker masquerade");
  // Docker's table, in the form Docker 29.7.2 writes it (from the fixture)
  const fixture = readFileSync(join(__dirname, '../fixtures/nft/ours-hand-written.nft'), 'utf8');
  const docker = fixture.slice(fixture.indexOf('table ip6 docker-bridges'));
  await run(['nsenter', `--net=/var/run/netns/${ns}`, '--', nftBinary(), '-f', '-'], { input: docker });
  t.deepEqual(await fw.dockerMasquerades(), [{ source: 'fd00:29::/64', bridge: 'docker0' }, { source: 'fd00:29:1::/64', bridge: 'br-9970b7d3c488' }]);
  await fw.restore(renderRemoveBatch('nat', await fw.read())!);
  t.notRegex(await nft('list', 'ruleset'), /docker-ipv6/);
});

test("without reading the table first: a pass's rewrite and the fast path's inserts are one nft process each, land where the full pass puts them, and a refused one changes nothing", async (t) => {
  const { ns, nft } = await inNamespace(t);
  const calls: string[] = [];
  const counted: typeof run = (argv, o) => { calls.push(argv.slice(1).join(' ')); return run(['nsenter', `--net=/var/run/netns/${ns}`, '--', ...argv], o); };
  const fw = nftFirewall(new Nftables(counted));
  await fw.restore(renderForwardBatch(NETS, HOST, {}));
  t.deepEqual(calls, ['-f -'], 'the first rewrite: one script, no read');
  // a network created: the fast path's inserts (reconcile/fast.ts) against the rules the pass left
  const before = filterRules(NETS, HOST);
  const more = [...NETS, { bridge: 'br-feedfacecafe', internal: false, published: [] }, { bridge: 'a-named-one', internal: false, published: [] }];
  const after = filterRules(more, HOST);
  const lines = insertions(before, after)!;
  t.true(lines.some((l) => !/^-I \S+ 1 /.test(l)), 'inserts in the middle of the chain');
  calls.length = 0;
  await fw.restore(`*filter\n${lines.join('\n')}\nCOMMIT\n`);
  t.deepEqual(calls, ['--version', '-f -'], 'nft asked its version once (index needs 1.0), then one script');
  const rs = await fw.read();
  t.deepEqual(rs.filter.rules.filter((l) => l.startsWith('-A D6-')), after, 'the very chain the full pass writes, in its order');
  t.is(tableSection('filter', after, rs), undefined);
  // a place the chain does not have: nft refuses the script; the read-first translation then says why; nothing changed
  const ruleset = await nft('list', 'ruleset');
  calls.length = 0;
  await t.throwsAsync(fw.restore(`*filter\n-I D6-FORWARD ${after.length + 5} -o br-nope -m comment --comment docker-ipv6 -j DROP\nCOMMIT\n`), { message: /index of insertion too big/ });
  t.deepEqual(calls, ['-f -', '-j list table ip6 docker-ipv6'], 'no second --version');
  t.is(await nft('list', 'ruleset'), ruleset);
});
