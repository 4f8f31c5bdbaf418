// The same files give the same bytes out (text, JSON, SARIF, --fix --dry-run), run after run, with or without a
// Docker daemon: nothing random, nothing from the host unless --host-check, no locale-dependent order.
import test from 'ava';
import { PassThrough } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLint, type LintDeps, type LintOptions } from '../../../src/lint/lint';
import type { HostNetworksResult } from '../../../src/lint/host';
import { fakeContext } from './helpers';

const FIXTURES = join(__dirname, '../../fixtures/lint');

/** The real defaults (no injected randomness), with the host answer chosen by the test and every ask counted. */
function deps(host: HostNetworksResult, asked: { n: number }): LintDeps {
  const stdin = new PassThrough();
  stdin.end('');
  return { stdin, fetchHost: async () => { asked.n++; return host; }, writeFile: async () => { throw new Error('no write in this test'); }, version: '0.0.0-test', cwd: FIXTURES };
}

const HOST_UP: HostNetworksResult = { ok: true, networks: [{ name: 'bridge', subnets: ['172.17.0.0/16', 'fd00:28::/64'] }, { name: 'x', subnets: ['fd12:3456:789a::/64'] }] };
const HOST_DOWN: HostNetworksResult = { ok: false, reason: 'Docker is not running: no socket' };

async function run(paths: string[], opts: Partial<LintOptions>, host: HostNetworksResult, asked = { n: 0 }) {
  const { ctx, out, err } = fakeContext();
  const code = await runLint(ctx, paths, { format: 'text', fix: false, dryRun: false, dualStack: false, hostCheck: false, ...opts }, deps(host, asked));
  return `${code}\n${out.text}\n--- stderr\n${err.text}`;
}

// every rule's fixtures and the awkward forms: all rules fire, in many files (the real corpus adds only time)
const TREE = [join(FIXTURES, 'rules'), join(FIXTURES, 'awkward')];

for (const format of ['text', 'json', 'sarif'] as const) {
  test(`--format ${format}: byte-identical across runs, with Docker down or up; Docker is never asked by default`, async (t) => {
    const asked = { n: 0 };
    const first = await run(TREE, { format }, HOST_DOWN, asked);
    t.true(first.length > 10_000, 'the fixture trees produced a full report');
    t.is(await run(TREE, { format }, HOST_UP, asked), first, 'a second run, with a reachable daemon, changes nothing');
    t.is(asked.n, 0, 'the default run never asks the host');
    if (format === 'json') {
      const j = JSON.parse(first.slice(2, first.indexOf('\n--- stderr')));
      t.false(j.rulesRun.includes('compose/subnet-host-collision'));
      t.true(j.rulesRun.includes('compose/port-ipv4-only'));
      t.deepEqual(j.skippedRules.map((s: { rule: string }) => s.rule), ['compose/subnet-host-collision']);
    }
  });
}

test('the fix texts carry no fresh random prefix: plan findings suggest the same ULA every run', async (t) => {
  const a = await run([join(FIXTURES, 'rules')], { format: 'json' }, HOST_DOWN);
  const ulas = [...a.matchAll(/such as (fd[0-9a-f:]+\/\d+)/g)].map((m) => m[1]);
  t.true(ulas.length >= 3, `suggestions found: ${ulas.length}`);
  t.deepEqual([...(await run([join(FIXTURES, 'rules')], { format: 'json' }, HOST_DOWN)).matchAll(/such as (fd[0-9a-f:]+\/\d+)/g)].map((m) => m[1]), ulas);
});

test('--fix --dry-run allocates the same subnet every run (a ULA derived from the files), without asking the host', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lint-repro-'));
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: nginx\n    networks: [front]\nnetworks:\n  front:\n    enable_ipv6: true\n');
  const asked = { n: 0 };
  const a = await run([join(dir, 'compose.yaml')], { fix: true, dryRun: true }, HOST_UP, asked);
  t.regex(a, /\+ {8}- subnet: fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:1::\/64/);
  t.is(await run([join(dir, 'compose.yaml')], { fix: true, dryRun: true }, HOST_UP, asked), a);
  t.is(asked.n, 0);
  // --host-check asks, and then the host's networks count
  const h = await run([join(dir, 'compose.yaml')], { fix: true, dryRun: true, hostCheck: true }, HOST_UP, asked);
  t.is(asked.n, 1);
  t.is(h, a, 'no collision with this host: the same subnet');
});

test('files are read and reported in code-unit order, not the locale\'s', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lint-order-'));
  const names = ['b.yaml', 'B.yaml', 'a.yaml', '_c.yaml', 'ä.yaml', 'Z.yaml'];
  for (const n of names) writeFileSync(join(dir, n), 'version: "3"\nservices:\n  web:\n    image: nginx\n');
  const out = await run([dir], { format: 'json' }, HOST_DOWN);
  const files = JSON.parse(out.slice(2, out.indexOf('\n--- stderr'))).files.map((f: { file: string }) => f.file.slice(dir.length + 1));
  t.deepEqual(files, ['B.yaml', 'Z.yaml', '_c.yaml', 'a.yaml', 'b.yaml', 'ä.yaml']);
  t.notDeepEqual(files, [...files].sort((x, y) => x.localeCompare(y)), 'the locale would order them otherwise');
});
