import test from 'ava';
import { copyFileSync, mkdtempSync, readFileSync, statSync, chmodSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runLint, defaultDeps } from '../../../src/lint/lint';
import { lintSources } from '../../../src/lint/engine';
import { parseSource } from '../../../src/lint/source';
import { fixCompose } from '../../../src/lint/fix';
import { lintUsedSpace, makeAllocator } from '../../../src/lint/alloc';
import { contains, formatCidr, parseCidr, parseCidr6 } from '../../../src/model/ip';
import { allocateV6 } from '../../../src/model/alloc';
import { fakeContext, fakeDeps } from './helpers';

const FIX = join(__dirname, '../../fixtures/lint/fix');
const GUIDE = join(__dirname, '../../fixtures/lint/guide');
const FIXABLE = ['compose/enable-ipv6-missing', 'compose/ipv6-subnet-missing', 'compose/version-obsolete', 'compose/subnet-overlap', 'compose/subnet-host-collision', 'compose/subnet-invalid'];

function fixText(file: string, text: string, prefix?: string, used: string[] = []) {
  const { allocate } = makeAllocator({ prefix, used: lintUsedSpace({ files: used }), random: () => Buffer.from([1, 2, 3, 4, 5]) });
  return fixCompose(parseSource({ file, text }).docs[0], allocate);
}

/** Structural check standing in for `docker compose config`: every used network is IPv6 with a v6 subnet. */
function assertComposeShape(t: any, text: string) {
  const data = parse(text);
  t.is(data.version, undefined);
  for (const [name, svc] of Object.entries<any>(data.services)) {
    const nets = svc.network_mode ? [] : Array.isArray(svc.networks) ? svc.networks : svc.networks ? Object.keys(svc.networks) : ['default'];
    for (const n of nets) {
      const net = data.networks?.[n];
      t.truthy(net, `${name}: network ${n} declared`);
      t.is(net.enable_ipv6, true, `${n}.enable_ipv6`);
      t.true(Array.isArray(net.ipam?.config), `${n}.ipam.config is a list`);
      t.true(net.ipam.config.some((e: any) => parseCidr(e.subnet)?.family === 6), `${n} has an IPv6 subnet`);
    }
  }
}

for (const [dir, file] of [[FIX, 'mixed.yml'], [FIX, 'compact.yaml'], [GUIDE, 'compose-ports.yml'], [GUIDE, 'compose-example.yml']]) {
  test(`--fix ${file}: re-linted clean, still parses, comments and untouched lines survive`, (t) => {
    const before = readFileSync(join(dir, file), 'utf8');
    const { text, changes } = fixText(file, before);
    t.true(changes.length > 0);
    const after = lintSources([{ file, text }], { hostNetworks: [] }).findings;
    t.deepEqual(after.filter((f) => FIXABLE.includes(f.rule)), []);
    t.deepEqual(after.filter((f) => f.severity === 'error'), []);
    assertComposeShape(t, text);
    const comments = before.split('\n').filter((l) => l.includes('#') && !/^version/.test(l));
    for (const c of comments) t.true(text.includes(c), `comment line kept: ${c}`);
    const old = new Set(before.split('\n'));
    for (const l of text.split('\n')) if (!old.has(l)) t.notRegex(l, /[ \t]$/, 'no trailing blanks introduced');
    // a second pass changes nothing
    t.is(fixText(file, text).text, text);
  });
}

test('--fix inserts with the file\'s own indentation and list style', (t) => {
  const { text } = fixText('compact.yaml', readFileSync(join(FIX, 'compact.yaml'), 'utf8'));
  t.true(text.includes('        enable_ipv6: true\n        ipam:\n            config:\n            - subnet: 10.9.0.0/24\n            - subnet: fd01:203:405:1::/64\n')); // allocateV6 skips the ULA's first /64, as network create does
});

test('allocation from the host prefix avoids the file, the host and the reserved first /64', (t) => {
  const text = 'services:\n  a:\n    image: x\n    networks: [n1, n2]\nnetworks:\n  n1:\n    ipam:\n      config:\n        - subnet: fd12:3456:789a:2::/64\n  n2: {}\n';
  const { text: out } = fixText('c.yaml', text, 'fd12:3456:789a::/48', ['fd12:3456:789a:1::/64', 'fd12:3456:789a:2::/64']);
  const data = parse(out);
  t.deepEqual(data.networks.n1.ipam.config.map((e: any) => e.subnet), ['fd12:3456:789a:2::/64']); // already had one
  t.deepEqual(data.networks.n2.ipam.config, [{ subnet: 'fd12:3456:789a:3::/64' }]);
  t.true(data.networks.n1.enable_ipv6);
});

test('without a state file the subnet is a fresh RFC 4193 ULA /64', (t) => {
  const { text } = fixText('x.yml', 'services:\n  a:\n    image: x\n');
  const sub = parse(text).networks.default.ipam.config[0].subnet;
  const c = parseCidr(sub)!;
  t.is(c.length, 64);
  t.true(contains(parseCidr('fd00::/8')!, c));
});

test('runLint --fix writes atomically, keeps the mode, uses the state prefix and skips host subnets', async (t) => {
  const { ctx, err, root } = fakeContext();
  mkdirSync(join(root, 'var/lib/docker-ipv6'), { recursive: true });
  writeFileSync(ctx.paths.stateFile, JSON.stringify({ version: 1, prefix: 'fd12:3456:789a::/48' }));
  const dir = mkdtempSync(join(tmpdir(), 'lint-fix-'));
  const file = join(dir, 'compose.yaml');
  copyFileSync(join(FIX, 'mixed.yml'), file);
  chmodSync(file, 0o640);
  const deps = { ...(await defaultDeps(ctx)), ...fakeDeps({ host: [{ name: 'bridge', subnets: ['fd12:3456:789a:1::/64'] }] }), writeFile: (await defaultDeps(ctx)).writeFile };
  const code = await runLint(ctx, [file], { format: 'text', fix: true, dryRun: false, dualStack: false, hostCheck: true }, deps);
  t.is(code, 0);
  const out = readFileSync(file, 'utf8');
  t.is(statSync(file).mode & 0o777, 0o640);
  t.true(out.includes('- subnet: fd12:3456:789a:2::/64'), 'first free /64 after the reserved one and the host bridge');
  t.regex(err.text, /fixed .*compose\.yaml: network "front"/);
  t.regex(err.text, /0 error/);
});

test('runLint --fix --dry-run prints a unified diff and writes nothing', async (t) => {
  const { ctx, out } = fakeContext();
  const dir = mkdtempSync(join(tmpdir(), 'lint-dry-'));
  const file = join(dir, 'compose.yaml');
  copyFileSync(join(GUIDE, 'compose-ports.yml'), file);
  const writes = new Map<string, string>();
  const code = await runLint(ctx, [file], { format: 'text', fix: true, dryRun: true, dualStack: false, hostCheck: true }, fakeDeps({ writes }));
  t.is(writes.size, 0);
  t.is(readFileSync(file, 'utf8'), readFileSync(join(GUIDE, 'compose-ports.yml'), 'utf8'));
  t.regex(out.text, new RegExp(`^--- a/${file}\\n\\+\\+\\+ b/${file}\\n@@ -\\d+,\\d+ \\+\\d+,\\d+ @@\\n`));
  t.true(out.text.includes('+networks:\n+  default:\n+    enable_ipv6: true\n'));
  t.is(code, 0, 'what remains after the fix are warnings and notes');
});

test('--fix refuses to write back to stdin', async (t) => {
  const { ctx } = fakeContext();
  await t.throwsAsync(runLint(ctx, ['-'], { format: 'text', fix: true, dryRun: false, dualStack: false, hostCheck: true }, fakeDeps()), { name: 'UsageError' });
});

test('lint --fix allocates like network create: allocateV6 over the same used space, Docker networks and state allocations included', (t) => {
  const prefix = 'fd12:3456:789a::/48';
  const used = lintUsedSpace({ files: ['10.9.0.0/24', 'fd12:3456:789a:1::/64'], networks: [{ name: 'bridge', subnets: ['fd12:3456:789a:2::/63'] }], allocations: ['fd12:3456:789a:4::/64'] });
  t.is(used.length, 3, 'IPv4 subnets are not IPv6 space');
  const { allocate } = makeAllocator({ prefix, used });
  const expected = formatCidr(allocateV6(parseCidr6(prefix)!, used));
  t.is(expected, 'fd12:3456:789a:5::/64');
  t.is(allocate('a'), expected);
  t.is(allocate('b'), 'fd12:3456:789a:6::/64', 'what it handed out counts as used');
  // a longer host prefix gets subnetLength's /72s, as network create gives it
  t.is(makeAllocator({ prefix: 'fd12:3456:789a:1::/64', used: [] }).allocate('c'), 'fd12:3456:789a:1:100::/72');
  t.throws(() => makeAllocator({ prefix: 'fd12:3456:789a:1::/120', used: [] }), { message: /not an IPv6 prefix of \/64 or shorter/ });
  t.throws(() => makeAllocator({ prefix: 'fd12:3456:789a:ff00::/56', used: lintUsedSpace({ files: ['fd12:3456:789a:ff00::/56'] }) }).allocate('full'), { message: 'no free /64 left in fd12:3456:789a:ff00::/56 for network "full"' });
});
