// Our ip6tables-restore batches carried out in table ip6 docker-ipv6: golden scripts (test/fixtures/nft/*.nft)
// and the ip6tables-restore semantics the translation keeps. test/integration/nft-adapter.test.ts runs them on a real nft.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderForwardBatch, renderNatBatch, renderRemoveBatch } from '../../../src/firewall/batches';
import { tableSection } from '../../../src/reconcile/diff';
import { nftTableView, parseNftJson, type NftTableView } from '../../../src/model/nft-json';
import { nftBlindScript, nftKeeps, nftScript, NftScriptError } from '../../../src/model/nft-script';

const TAG = '-m comment --comment docker-ipv6';
const dir = join(__dirname, '../../fixtures/nft');
const empty = nftTableView(parseNftJson(''), 'ip6', 'docker-ipv6');
const captured = nftTableView(parseNftJson(readFileSync(join(dir, 'ours-hand-written.json'), 'utf8')), 'ip6', 'docker-ipv6');
const NETS = [
  { bridge: 'docker0', internal: false, published: [{ address: '2001:db8:100::2', port: 80, proto: 'tcp' as const }] },
  { bridge: 'br-0123456789ab', internal: true, published: [] },
];

/** Compares with the golden file; UPDATE_GOLDEN=1 writes it instead (review the diff before committing). */
function golden(t: { is(a: string, b: string, m?: string): void }, name: string, text: string): void {
  const p = join(dir, name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(p, text);
  t.is(text, readFileSync(p, 'utf8'), name);
}

test('golden: the first filter batch creates the table, its forward hook, D6-USER and D6-FORWARD in one script', (t) => {
  golden(t, 'forward-new.nft', nftScript(renderForwardBatch(NETS, { uplink: 'eth0' }, {}), empty));
});

test('golden: the nat batch (our own masquerade) gets a postrouting nat hook', (t) => {
  golden(t, 'nat-new.nft', nftScript(renderNatBatch([{ subnet: 'fd00:1::/64', bridge: 'docker0' }], {}), empty));
});

test('golden: removing everything of ours deletes the table; the admin rule in D6-USER keeps that chain and the table', (t) => {
  const filter = renderRemoveBatch('filter', captured.ruleset)!;
  const nat = renderRemoveBatch('nat', captured.ruleset)!;
  golden(t, 'remove-all.nft', nftScript(filter + nat, captured));
  const onlyOurs: NftTableView = JSON.parse(JSON.stringify(captured));
  const i = onlyOurs.ruleset.filter.rules.findIndex((l) => l.startsWith('-A D6-USER '));
  onlyOurs.ruleset.filter.rules.splice(i, 1);
  onlyOurs.handles['D6-USER'] = [];
  const script = nftScript(renderRemoveBatch('filter', onlyOurs.ruleset)! + renderRemoveBatch('nat', onlyOurs.ruleset)!, onlyOurs);
  t.is(script, 'delete table ip6 docker-ipv6\n', 'nothing left: the whole table goes');
});

test('a changed chain is flushed and written again in place; our jump stays; nothing else is touched', (t) => {
  const want = [`-A D6-FORWARD ${TAG} -j D6-USER`, `-A D6-FORWARD -d 2001:db8:5::/48 ${TAG} -j DROP`];
  const s = tableSection('filter', want, captured.ruleset)!;
  t.is(nftScript(s.text, captured), [
    'add table ip6 docker-ipv6',
    'flush chain ip6 docker-ipv6 D6-FORWARD', // declared while it exists: ip6tables-restore flushes it
    'flush chain ip6 docker-ipv6 D6-FORWARD', // the batch's own -F
    'add rule ip6 docker-ipv6 D6-FORWARD jump D6-USER comment "docker-ipv6"',
    'add rule ip6 docker-ipv6 D6-FORWARD ip6 daddr 2001:db8:5::/48 drop comment "docker-ipv6"',
    '',
  ].join('\n'));
});

test('duplicate jumps are deleted by handle and one is put back where the first was', (t) => {
  const v: NftTableView = JSON.parse(JSON.stringify(captured));
  v.ruleset.filter.rules.push(`-A FORWARD ${TAG} -j D6-FORWARD`);
  v.handles.FORWARD.push(99);
  const want = v.ruleset.filter.rules.filter((l) => l.startsWith('-A D6-FORWARD '));
  const s = tableSection('filter', want, v.ruleset)!;
  const script = nftScript(s.text, v);
  t.regex(script, new RegExp(`delete rule ip6 docker-ipv6 FORWARD handle ${captured.handles.FORWARD[0]}\\ndelete rule ip6 docker-ipv6 FORWARD handle 99\\ninsert rule ip6 docker-ipv6 FORWARD jump D6-FORWARD`));
});

test('the semantics of ip6tables-restore are kept: refusals instead of a half-translated script', (t) => {
  t.throws(() => nftScript(`*filter\n-D FORWARD -m comment --comment docker-ipv6 -j NOPE\nCOMMIT\n`, captured), { instanceOf: NftScriptError, message: /no such rule/ });
  t.throws(() => nftScript(`*filter\n-X D6-USER\nCOMMIT\n`, captured), { instanceOf: NftScriptError, message: /not empty/ });
  t.throws(() => nftScript(`*filter\n-F D6-NOPE\nCOMMIT\n`, captured), { instanceOf: NftScriptError, message: /no chain D6-NOPE/ });
  t.throws(() => nftScript(`*filter\n-A D6-FORWARD -j LOG\nCOMMIT\n`, captured), { instanceOf: NftScriptError, message: /not a rule docker-ipv6 writes/ });
  t.throws(() => nftScript(`*filter\n-P FORWARD DROP\nCOMMIT\n`, captured), { instanceOf: NftScriptError, message: /not a statement/ });
  const inUse: NftTableView = JSON.parse(JSON.stringify(captured));
  t.throws(() => nftScript(`*filter\n-F D6-FORWARD\n-X D6-FORWARD\nCOMMIT\n`, inUse), { message: /still jumped to from FORWARD/ });
});

test('the table is kept, emptied of what is ours, while it holds a set or map the admin put there (and says so)', (t) => {
  const v: NftTableView = JSON.parse(JSON.stringify(captured));
  v.others = ['set allowed', 'map ports'];
  const user = v.ruleset.filter.rules.findIndex((l) => l.startsWith('-A D6-USER '));
  v.ruleset.filter.rules.splice(user, 1);
  v.handles['D6-USER'] = [];
  const script = nftScript(renderRemoveBatch('filter', v.ruleset)! + renderRemoveBatch('nat', v.ruleset)!, v);
  t.notRegex(script, /delete table/);
  t.regex(script, /delete chain ip6 docker-ipv6 D6-FORWARD/);
  t.is(nftKeeps(v), 'table ip6 docker-ipv6 is kept: it also holds set allowed, map ports, which docker-ipv6 did not write');
  t.is(nftKeeps(captured), undefined);
});

test('a batch that leaves an absent table absent is no script at all', (t) => {
  t.is(nftScript('*filter\nCOMMIT\n', empty), '');
});

test('without the table: a whole rewrite and the fast path inserts need no read; what needs handles or the end state is declined', (t) => {
  const first = renderForwardBatch(NETS, { uplink: 'eth0' }, {});
  const blind = nftBlindScript(first, { indexes: false })!;
  // every rule line of the read-first translation is there, in the same order; chains are added then flushed
  const rules = (s: string) => s.split('\n').filter((l) => /^(add|insert) rule /.test(l));
  t.deepEqual(rules(blind), rules(nftScript(first, empty)));
  t.regex(blind, /^add table ip6 docker-ipv6\nadd chain ip6 docker-ipv6 D6-USER\nflush chain ip6 docker-ipv6 D6-USER\n/);
  t.regex(blind, /add chain ip6 docker-ipv6 FORWARD \{ type filter hook forward priority filter - 1; policy accept; \}\ninsert rule ip6 docker-ipv6 FORWARD jump D6-FORWARD/);
  const inserts = `*filter\n-I D6-FORWARD 1 -o br-1 ${TAG} -j DROP\n-I D6-FORWARD 3 -o br-2 ${TAG} -j DROP\nCOMMIT\n`;
  t.is(nftBlindScript(inserts, { indexes: false }), undefined, 'a place past the first needs nft 1.0 (or the handles)');
  t.is(nftBlindScript(inserts, { indexes: true }), [
    'add table ip6 docker-ipv6',
    'insert rule ip6 docker-ipv6 D6-FORWARD oifname "br-1" drop comment "docker-ipv6"',
    'add rule ip6 docker-ipv6 D6-FORWARD index 1 oifname "br-2" drop comment "docker-ipv6"',
    '',
  ].join('\n'));
  for (const declined of [
    renderRemoveBatch('filter', captured.ruleset)!, // -D and -X: handles, and whether the table is left empty
    `*filter\n-D D6-FORWARD ${TAG} -j D6-USER\nCOMMIT\n`,
    '*filter\n:FORWARD - [0:0]\nCOMMIT\n', // a base chain declared alone goes if it ends empty: only the table knows
    '*filter\n-F FORWARD\nCOMMIT\n',
    '*filter\n-A D6-FORWARD -j LOG\nCOMMIT\n', // not ours: nftScript says so
    `*filter\n-I D6-FORWARD 0 ${TAG} -j DROP\nCOMMIT\n`,
    '*filter\nCOMMIT\n',
  ]) t.is(nftBlindScript(declined, { indexes: true }), undefined, declined);
});
