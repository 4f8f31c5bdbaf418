import test from 'ava';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { join } from 'node:path';
import { runLint } from '../../../src/lint/lint';
import { RULES } from '../../../src/lint/rules';
import { fakeContext, fakeDeps } from './helpers';

// The SARIF 2.1.0 schema as Microsoft's @microsoft/jest-sarif ships it (2.1.0-rtm.5, JSON Schema draft-04).
// unicodeRegExp is off because one of its patterns is not valid under the u flag.
const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

const FIXTURES = join(__dirname, '../../fixtures/lint');

test('the validator rejects what is not SARIF (so the check can fail)', (t) => {
  t.false(validate({ version: '2.1.0', runs: [{ tool: {} }] }));
  t.false(validate({ version: '2.0.0', runs: [] }));
});

test('SARIF output for the whole fixture corpus validates against the 2.1.0 schema', async (t) => {
  const { ctx, out } = fakeContext();
  const code = await runLint(ctx, [FIXTURES], { format: 'sarif', fix: false, dryRun: false, dualStack: false, hostCheck: true }, fakeDeps({ host: [{ name: 'x', subnets: ['fd00:28::/56'] }] }));
  t.is(code, 1);
  const log = JSON.parse(out.text);
  const ok = validate(log);
  t.true(ok, JSON.stringify(validate.errors?.slice(0, 5)));
  const run = log.runs[0];
  t.is(run.tool.driver.rules.length, RULES.length);
  t.true(run.results.length > 40);
  for (const r of run.results) {
    t.is(run.tool.driver.rules[r.ruleIndex].id, r.ruleId);
    t.true(['error', 'warning', 'note'].includes(r.level));
    const loc = r.locations[0].physicalLocation;
    t.false(loc.artifactLocation.uri.startsWith('/'), 'relative URIs under the working directory');
    t.true(loc.region.startLine >= 1 && loc.region.startColumn >= 1);
  }
});

test('JSON output carries findings with positions and the skipped host rule', async (t) => {
  const { ctx, out } = fakeContext();
  const code = await runLint(ctx, [join(FIXTURES, 'guide/compose-example.yml')], { format: 'json', fix: false, dryRun: false, dualStack: false, hostCheck: true }, fakeDeps({ host: 'socket missing' }));
  t.is(code, 0);
  const j = JSON.parse(out.text);
  t.deepEqual(j.findings.map((f: any) => `${f.line}:${f.col} ${f.severity} ${f.rule}`), ['2:1 warning compose/version-obsolete', '11:9 info compose/port-ipv6-only']);
  t.deepEqual(j.skippedRules, [{ rule: 'compose/subnet-host-collision', reason: 'Docker is not reachable (socket missing)' }]);
  t.true(typeof j.findings[0].fix === 'string' && j.findings[0].fix.length > 0);
});
