import test, { type ExecutionContext } from 'ava';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runLint } from '../../../src/lint/lint';
import { RULES } from '../../../src/lint/rules';
import { FINGERPRINT_KEY } from '../../../src/lint/sarif';
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

const COMPOSE = [
  'services:',
  '  web:',
  '    image: nginx',
  '    networks: [n]',
  '    ports:',
  '      - "0.0.0.0:80:80"',
  '      - "0.0.0.0:443:443"',
  'networks:',
  '  n:',
  '    enable_ipv6: true',
  '    ipam:',
  '      config:',
  '        - subnet: fc00::/64',
  '',
].join('\n');

async function sarifOf(t: ExecutionContext, text: string, name = 'compose.yaml') {
  const dir = mkdtempSync(join(tmpdir(), 'lint-sarif-'));
  writeFileSync(join(dir, name), text);
  const { ctx, out } = fakeContext();
  await runLint(ctx, [join(dir, name)], { format: 'sarif', fix: false, dryRun: false, dualStack: false, hostCheck: false }, { ...fakeDeps(), cwd: dir });
  const log = JSON.parse(out.text);
  t.true(validate(log), JSON.stringify(validate.errors?.slice(0, 5)));
  return log.runs[0].results.map((r: any) => ({ rule: r.ruleId, line: r.locations[0].physicalLocation.region.startLine, print: r.partialFingerprints[FINGERPRINT_KEY], where: r.locations[0].logicalLocations?.[0]?.fullyQualifiedName }));
}

test('partialFingerprints: stable across runs and line moves, distinct per finding, new when the flagged value changes', async (t) => {
  const a = await sarifOf(t, COMPOSE);
  t.deepEqual(a.map((r: any) => `${r.line} ${r.rule} ${r.where}`), ['6 compose/port-ipv4-only services.web.ports[0]', '7 compose/port-ipv4-only services.web.ports[1]', '13 plan/fc00-not-ula networks.n.ipam.config[0].subnet']);
  for (const r of a) t.regex(r.print, /^[0-9a-f]{32}$/);
  t.is(new Set(a.map((r: any) => r.print)).size, a.length, 'each finding has its own fingerprint');
  t.deepEqual(await sarifOf(t, COMPOSE), a, 'a second run gives the same');
  // lines move: a comment block on top, a blank line, a port added above the flagged ones, the networks moved first
  const moved = `# header\n# more\n\n${COMPOSE.replace('    ports:\n', '    ports:\n      - "8080:80"\n')}`;
  const m = await sarifOf(t, moved);
  t.deepEqual(m.map((r: any) => r.print), a.map((r: any) => r.print), 'the same findings keep their fingerprints on other lines');
  t.notDeepEqual(m.map((r: any) => r.line), a.map((r: any) => r.line));
  const reordered = `networks:\n  n:\n    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: fc00::/64\n${COMPOSE.slice(0, COMPOSE.indexOf('networks:\n  n:'))}`;
  t.deepEqual((await sarifOf(t, reordered)).map((r: any) => r.print).sort(), a.map((r: any) => r.print).sort());
  // a changed value is another finding
  const changed = await sarifOf(t, COMPOSE.replace('0.0.0.0:443:443', '0.0.0.0:8443:443'));
  t.is(changed[0].print, a[0].print);
  t.not(changed[1].print, a[1].print);
  // the same text in another file is another finding
  t.not((await sarifOf(t, COMPOSE, 'other.yaml'))[0].print, a[0].print);
});
