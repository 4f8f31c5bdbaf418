// The import rules of .dependency-cruiser.cjs hold on src/, and each rule does fire on a tree that breaks it
// (test/fixtures/deps), so `npm run lint:deps` can fail.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const top = join(__dirname, '../..');
const cruise = (cwd: string) => spawnSync(process.execPath, [join(top, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'src', '--config', join(top, '.dependency-cruiser.cjs'), '--output-type', 'json'], { cwd, encoding: 'utf8', timeout: 120_000 });

function violations(cwd: string): Array<{ rule: string; from: string; to: string }> {
  const r = cruise(cwd);
  const out = JSON.parse(r.stdout) as { summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> } };
  return out.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

test('src/ keeps every import rule', (t) => {
  t.deepEqual(violations(top), []);
});

test('each rule fires on a tree that breaks it', (t) => {
  const v = violations(join(top, 'test/fixtures/deps'));
  const rules = new Set(v.map((x) => x.rule));
  for (const rule of ['model-is-pure', 'adapters-do-not-import-cli', 'adapters-are-leaves', 'engines-construct-no-adapter', 'commands-hold-no-logic', 'features-do-not-import-features', 'engines-do-not-import-features', 'no-folder-cycles', 'no-module-cycles']) {
    t.true(rules.has(rule), `${rule} fired (${JSON.stringify(v)})`);
  }
  t.false(v.some((x) => x.from === 'src/doctor/check.ts'), 'a named exception is no violation');
  t.true(v.some((x) => x.rule === 'model-is-pure' && /fs$/.test(x.to)), 'node:fs in model is caught');
});
