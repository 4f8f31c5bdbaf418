// Directory runs that meet bad files: every good file is linted, each bad one reported once, output always complete.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLint, type LintOptions } from '../../../src/lint/lint';
import { fakeContext, fakeDeps } from './helpers';

const base: LintOptions = { format: 'text', fix: false, dryRun: false, dualStack: false, hostCheck: false };

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'lint-robust-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const GOOD = 'services:\n  web:\n    image: nginx\n    networks: [net]\nnetworks:\n  net:\n    ipam:\n      config:\n        - subnet: fd00:1:2:3::/64\n';
const BROKEN = 'services:\n  web: [\n';
const TEMPLATE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n';

for (const format of ['json', 'sarif'] as const) {
  test(`--format ${format}: complete output with the unparsable file inside, the good file still linted`, async (t) => {
    const d = dir({ 'a-compose.yaml': GOOD, 'b-broken.yaml': BROKEN, 'c-chart.yaml': TEMPLATE });
    const { ctx, out } = fakeContext();
    const code = await runLint(ctx, [d], { ...base, format }, fakeDeps());
    t.is(code, 1);
    const doc = JSON.parse(out.text);
    const rules = format === 'json'
      ? doc.findings.map((f: any) => `${f.file.slice(d.length + 1)} ${f.rule}`)
      : doc.runs[0].results.map((r: any) => `${r.locations[0].physicalLocation.artifactLocation.uri.split('/').pop()} ${r.ruleId}`);
    t.deepEqual(rules.sort(), ['a-compose.yaml compose/enable-ipv6-missing', 'b-broken.yaml file/unparsable', 'c-chart.yaml file/template-skipped']);
  });
}

test('a directory of good files plus a template exits 0 (the template is a note)', async (t) => {
  const d = dir({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n', 'chart.yaml': TEMPLATE });
  const { ctx, out } = fakeContext();
  t.is(await runLint(ctx, [d], base, fakeDeps()), 0);
  t.regex(out.text, /chart\.yaml:4:9 info file\/template-skipped/);
  t.regex(out.text, /compose\.yaml:2:3 info ipv6\/no-intent/);
});

test('--require-ipv6 turns the no-intent note back into the error; --fail-on warning fails on warnings', async (t) => {
  const d = dir({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n' });
  t.is(await runLint(fakeContext().ctx, [d], { ...base, requireIpv6: true }, fakeDeps()), 1);
  const v = dir({ 'compose.yaml': 'version: "3"\nservices:\n  web:\n    image: nginx\n' });
  t.is(await runLint(fakeContext().ctx, [v], base, fakeDeps()), 0);
  t.is(await runLint(fakeContext().ctx, [v], { ...base, failOn: 'warning' }, fakeDeps()), 1);
});

test('--env-file and --use-env supply Compose variables (the environment wins)', async (t) => {
  const d = dir({ 'compose.yaml': GOOD.replace('fd00:1:2:3::/64', '${V6}').replace('    ipam:', '    enable_ipv6: true\n    ipam:'), 'vars.env': 'V6=fd00:1:2:3::1/64\n' });
  const run = async (o: Partial<LintOptions>, env?: NodeJS.ProcessEnv) => {
    const { ctx, out } = fakeContext();
    await runLint(ctx, [join(d, 'compose.yaml')], { ...base, ...o, format: 'json' }, { ...fakeDeps(), env });
    return JSON.parse(out.text).findings.map((f: any) => f.rule);
  };
  t.deepEqual(await run({}), ['compose/interpolation-unresolved']);
  t.deepEqual(await run({ envFiles: [join(d, 'vars.env')] }), ['compose/subnet-invalid']);
  t.deepEqual(await run({ envFiles: [join(d, 'vars.env')], useEnv: true }, { V6: 'fd00:1:2:3::/64' }), []);
});

test('a UTF-8 BOM does not shift columns', async (t) => {
  const d = dir({ 'compose.yaml': '\uFEFFversion: "3"\nservices:\n  web:\n    image: nginx\n' });
  const { ctx, out } = fakeContext();
  await runLint(ctx, [d], base, fakeDeps());
  t.regex(out.text, /compose\.yaml:1:1 warning compose\/version-obsolete/);
});
