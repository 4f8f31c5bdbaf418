// --fix --dry-run reports against the file on disk, and port-ipv4-only words a service without an IPv6 network truthfully.
import test from 'ava';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLint } from '../../../src/lint/lint';
import { lintSources } from '../../../src/lint/engine';
import { fakeContext, fakeDeps } from './helpers';

const GUIDE = join(__dirname, '../../fixtures/lint/guide');

test('port-ipv4-only: "dual-stack service" only when the service is on an IPv6 network', (t) => {
  // another network of the file has IPv6, so a 0.0.0.0 port is a slip wherever it sits; the wording follows web's own network
  const text = (v6: boolean) => `services:\n  web:\n    image: nginx\n    networks: [front]\n    ports:\n      - "0.0.0.0:8080:80"\n      - "8081:80"\n  db:\n    image: postgres\n    networks: [back]\nnetworks:\n  front:\n    enable_ipv6: ${v6}\n  back:\n    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: fd8b:1c2d:3e4f:2::/64\n`;
  const msg = (v6: boolean) => lintSources([{ file: 'c.yml', text: text(v6) }]).findings.find((f) => f.rule === 'compose/port-ipv4-only')!.message;
  t.notRegex(msg(false), /dual-stack service/);
  t.regex(msg(false), /IPv6 clients cannot reach it \(and the service's network has no IPv6 either\)/);
  t.regex(msg(true), /IPv6 clients of this dual-stack service cannot reach it/);
});

test('--fix --dry-run: positions are those of the file on disk; what the fix resolves is marked', async (t) => {
  const { ctx, out, err } = fakeContext();
  const file = join(mkdtempSync(join(tmpdir(), 'lint-dry-')), 'compose.yaml');
  // a network block the fix extends: with positions from the fixed text the port lines would shift
  const text = `networks:\n  front:\n    driver: bridge\nservices:\n  web:\n    image: nginx\n    networks: [front]\n    ports:\n      - "0.0.0.0:8080:80"\n      - "[::]:8081:80"\n`;
  writeFileSync(file, text);
  const code = await runLint(ctx, [file], { format: 'text', fix: true, dryRun: true, dualStack: true, hostCheck: false }, fakeDeps());
  t.is(readFileSync(file, 'utf8'), text, 'nothing written');
  const lines = out.text.split('\n').filter((l) => l.startsWith(`${file}:`));
  const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  const v4 = lines.find((l) => l.includes('compose/port-ipv4-only'));
  t.truthy(v4, out.text);
  t.true(v4!.startsWith(`${file}:${lineOf('0.0.0.0:8080:80')}:9 `), `on-disk position: ${v4}`);
  const v6 = lines.find((l) => l.includes('compose/port-ipv6-only'))!;
  t.true(v6.startsWith(`${file}:${lineOf('[::]:8081:80')}:9 `), v6);
  const missing = lines.find((l) => l.includes('compose/enable-ipv6-missing'))!;
  t.true(missing.startsWith(`${file}:${lineOf('front:')}:`), missing);
  t.regex(missing, /\[resolved by --fix\]$/);
  t.notRegex(v4!, /resolved/);
  t.regex(err.text, /on disk: 3 findings: 1 error, 1 warning, 1 info; after the fix: 2 findings: 0 error, 1 warning, 1 info/);
  t.is(code, 0, 'the exit status says whether the fix would leave errors');

  // JSON: findings against the disk file, the fixed text's findings apart and labelled
  const j = fakeContext();
  await runLint(j.ctx, [file], { format: 'json', fix: true, dryRun: true, dualStack: true, hostCheck: false }, fakeDeps());
  const doc = JSON.parse(j.out.text) as { findings: Array<{ rule: string; line: number; resolvedByFix: boolean }>; afterFix: { positions: string; findings: unknown[] } };
  t.is(doc.findings.find((f) => f.rule === 'compose/port-ipv4-only')!.line, lineOf('0.0.0.0:8080:80'));
  t.true(doc.findings.find((f) => f.rule === 'compose/enable-ipv6-missing')!.resolvedByFix);
  t.is(doc.afterFix.positions, 'in the fixed text');
  t.is(doc.afterFix.findings.length, 2);
});

test('--fix --dry-run on the guide example keeps the diff first and the on-disk positions of the guide test', async (t) => {
  const { ctx, out } = fakeContext();
  const file = join(mkdtempSync(join(tmpdir(), 'lint-dry-')), 'compose.yaml');
  copyFileSync(join(GUIDE, 'compose-ports.yml'), file);
  // --dual-stack: the guide's port list alone shows no IPv6 intent (see guide.test.ts)
  await runLint(ctx, [file], { format: 'text', fix: true, dryRun: true, dualStack: true, hostCheck: false }, fakeDeps());
  t.true(out.text.indexOf('--- a/') < out.text.indexOf(`${file}:3:3 error compose/enable-ipv6-missing`));
  for (const pos of ['3:3 error compose/enable-ipv6-missing', '7:9 warning compose/port-ipv4-only', '8:9 info compose/port-ipv6-only', '9:9 info compose/port-ipv4-only']) {
    t.true(out.text.includes(`${file}:${pos}`), pos);
  }
});
