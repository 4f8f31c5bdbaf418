// Through main(): exit 0 (no errors), 1 (error findings), 2 (unreadable input), never a stack trace.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const TOP = join(__dirname, '../../..');
const G = join(TOP, 'test/fixtures/lint/guide');

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'run-main.ts'), ...args], {
    cwd: TOP, input, encoding: 'utf8', env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker-ipv6-lint-test.sock' }, timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('exit 0: warnings only; Docker is not asked unless --host-check, and then an unreachable one is a note', (t) => {
  const r = cli(['lint', join(G, 'compose-example.yml')]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /compose-example\.yml:2:1 warning compose\/version-obsolete /);
  t.regex(r.out, /\n  fix: delete the version line/);
  t.notRegex(r.err, /subnet-host-collision|Docker/, 'the default run does not look at the host');
  const h = cli(['lint', '--host-check', join(G, 'compose-example.yml')]);
  t.is(h.code, 0, h.err);
  t.is(h.out, r.out);
  t.regex(h.err, /note: skipped compose\/subnet-host-collision: Docker is not reachable/);
});

test('exit 1: an error finding (directory walk)', (t) => {
  const r = cli(['lint', G]);
  t.is(r.code, 1, r.err);
  t.regex(r.out, /flannel-configmap\.yaml:11:7 error flannel\/enable-ipv6-missing/);
  t.regex(r.err, /\(dual-stack intent\)/);
});

test('exit 2: a missing file, with a message and no stack trace', (t) => {
  const r = cli(['lint', '/nonexistent/compose.yaml']);
  t.is(r.code, 2);
  t.regex(r.err, /cannot read \/nonexistent\/compose\.yaml: no such file or directory/);
  t.notRegex(r.err, /\n\s+at /);
});

test('exit 1: YAML that does not parse is a file/unparsable error finding with its position, not a usage error', (t) => {
  const r = cli(['lint', '-'], 'services:\n  web: [\n');
  t.is(r.code, 1);
  t.regex(r.out, /^-:\d+:\d+ error file\/unparsable cannot parse as YAML/m);
  t.notRegex(r.err, /internal error/);
});

test('stdin, --json and --dual-stack', (t) => {
  const svc = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  type: LoadBalancer\n  selector:\n    app: api\n';
  const r = cli(['lint', '--json', '--dual-stack', '-'], svc);
  t.is(r.code, 0, r.err);
  t.deepEqual(JSON.parse(r.out).findings.map((f: any) => `${f.file}:${f.line}:${f.col} ${f.rule}`), ['-:6:3 k8s/service-lb-single-stack']);
});

test('a bad --format is a usage error', (t) => {
  const r = cli(['lint', '--format', 'xml', G]);
  t.is(r.code, 2);
});

test('the new flags reach the engine: --env-file (repeatable), --require-ipv6, --fail-on', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lint-cli-flags-'));
  const compose = join(dir, 'compose.yaml');
  writeFileSync(compose, 'services:\n  web:\n    image: nginx\n    networks: [n]\nnetworks:\n  n:\n    enable_ipv6: ${E}\n    ipam:\n      config:\n        - subnet: ${S}\n');
  writeFileSync(join(dir, 'a.env'), 'E=true\nS=fd8b:1c2d:3e4f:1::1/64\n');
  writeFileSync(join(dir, 'b.env'), 'S=fd8b:1c2d:3e4f:1::/64\n');
  t.is(cli(['lint', '--no-host-check', compose]).code, 0);
  t.is(cli(['lint', '--no-host-check', '--env-file', join(dir, 'a.env'), compose]).code, 1, 'host bits in S from a.env');
  t.is(cli(['lint', '--no-host-check', '--env-file', join(dir, 'a.env'), '--env-file', join(dir, 'b.env'), compose]).code, 0, 'b.env wins');
  const plain = join(dir, 'docker-compose.yml');
  writeFileSync(plain, 'version: "3"\nservices:\n  web:\n    image: nginx\n');
  t.is(cli(['lint', '--no-host-check', plain]).code, 0);
  t.is(cli(['lint', '--no-host-check', '--fail-on', 'warning', plain]).code, 1);
  t.is(cli(['lint', '--no-host-check', '--require-ipv6', plain]).code, 1);
});

test('text: a file name and the values a finding quotes are shown escaped (terminal sequences, newlines)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lint-esc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'evil\u001b]0;pwned\u0007\nx.yml');
  writeFileSync(file, 'version: "3"\nservices:\n  web:\n    image: nginx\nnetworks:\n  "n\u001b[31m":\n    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: "2001:db8:1::/64"\n');
  const r = cli(['lint', file]);
  t.is(r.code, 1, r.err);
  t.false(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(r.out + r.err), r.out);
  t.regex(r.out, /evil\\x1b\]0;pwned\\x07\\nx\.yml:1:1 warning compose\/version-obsolete/);
  t.true(r.out.split('\n').every((l) => l === '' || l.startsWith(dir) || l.startsWith('  fix: ')), 'every line is a finding or its fix');
});
