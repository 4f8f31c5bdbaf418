// Fault suite, lint input: whatever lint is handed (a device, a FIFO without a writer, an endless stdin, a file past
// the size cap, a file too dense to parse in bounded memory, 20k services), it answers quickly with a clear error or
// a complete report, and never reads without bound. In-process through runLint and collectSources (the real file
// reads), plus one run of the CLI's own entry with /dev/zero as its stdin.
import test from 'ava';
import { spawn, execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, openSync, closeSync, ftruncateSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faultSuite } from '../../helpers/faults';
import { runLint, type LintDeps, type LintOptions } from '../../../src/lint/lint';
import { MAX_BYTES } from '../../../src/lint/inputs';
import { MAX_YAML_TOKENS } from '../../../src/lint/source';
import { fakeContext, fakeDeps } from '../lint/helpers';

const suite = faultSuite(test, { group: 'lint input', file: 'test/unit/faults/lint-input.test.ts' });
const TOP = join(__dirname, '../../..');
const base: LintOptions = { format: 'json', fix: false, dryRun: false, dualStack: false, hostCheck: false };

function tmp(t: { teardown: (f: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'lint-fault-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** runLint in-process: the exit status, or the usage error's message and hint; and how long it took. */
async function lint(paths: string[], deps: Partial<LintDeps> = {}, opts: Partial<LintOptions> = {}) {
  const { ctx, out } = fakeContext();
  const started = Date.now();
  try {
    const code = await runLint(ctx, paths, { ...base, ...opts }, { ...fakeDeps(), ...deps });
    return { code, out: out.text, ms: Date.now() - started };
  } catch (e) {
    const err = e as Error & { kind?: string; hint?: string };
    return { code: err.kind === 'usage' ? 2 : 99, error: `${err.message}${err.hint ? ` | ${err.hint}` : ''}`, out: out.text, ms: Date.now() - started };
  }
}

suite.scenario('a character device named on the command line (/dev/zero) is refused at once, unread', { fault: 'lint /dev/zero' }, async (t) => {
  const r = await lint(['/dev/zero']);
  t.is(r.code, 2, r.error);
  t.regex(r.error!, /cannot read \/dev\/zero: it is a character device, and lint reads only regular files \| to lint a stream, pipe it to stdin/);
  t.true(r.ms < 5000, `${r.ms} ms`);
});

suite.scenario('a FIFO without a writer is refused without waiting for one; a directory walk passes it by', { fault: 'lint FIFO (nobody writes), and a folder holding a FIFO and a link to /dev/zero' }, async (t) => {
  const d = tmp(t);
  const fifo = join(d, 'compose.yaml');
  execFileSync('mkfifo', [fifo]);
  const r = await lint([fifo]);
  t.is(r.code, 2, r.error);
  t.regex(r.error!, /it is a FIFO, and lint reads only regular files/);
  // the walk reads regular *.yaml files only: the FIFO and the symlink to /dev/zero are not opened
  symlinkSync('/dev/zero', join(d, 'zero.yaml'));
  writeFileSync(join(d, 'good.yaml'), 'services:\n  web:\n    image: nginx\n');
  const w = await lint([d]);
  t.is(w.code, 0, w.error);
  t.deepEqual(JSON.parse(w.out).files.map((f: { file: string }) => f.file), [join(d, 'good.yaml')]);
});

suite.scenario('an endless stdin stops at the size cap: in-process and through the CLI entry', { fault: 'lint - < /dev/zero' }, async (t) => {
  const zero = createReadStream('/dev/zero');
  let read = 0;
  zero.on('data', (c) => { read += c.length; });
  const r = await lint(['-'], { stdin: zero });
  t.is(r.code, 2, r.error);
  t.regex(r.error!, /stdin is larger than 8 MiB/);
  t.true(read <= MAX_BYTES + 1 + 64 * 1024, `read ${read} bytes`);
  zero.destroy();
  // the real process: its stdin is /dev/zero itself
  const child = spawn(process.execPath, ['--import', 'tsx', join(TOP, 'test/unit/lint/run-main.ts'), 'lint', '-'], { cwd: TOP, stdio: [openSync('/dev/zero', 'r'), 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((res) => child.on('close', res));
  clearTimeout(killer);
  t.is(code, 2, err);
  t.regex(err, /docker ipv6: error: stdin is larger than 8 MiB; it is not a config file/);
  t.notRegex(err, /\n\s+at /, 'no stack trace');
});

suite.scenario('files past the size cap are refused by their size, and never read past cap + 1 bytes', { fault: 'a sparse 1 GiB file, and files of cap and cap + 1 bytes' }, async (t) => {
  const d = tmp(t);
  const sparse = join(d, 'huge.yaml');
  const fd = openSync(sparse, 'w');
  ftruncateSync(fd, 1024 ** 3);
  closeSync(fd);
  const r = await lint([sparse]);
  t.is(r.code, 2);
  t.regex(r.error!, /huge\.yaml is larger than 8 MiB/);
  t.true(r.ms < 5000, `${r.ms} ms`);
  writeFileSync(join(d, 'at-cap.yaml'), `${'#'.repeat(MAX_BYTES - 1)}\n`);
  writeFileSync(join(d, 'over-cap.yaml'), `${'#'.repeat(MAX_BYTES)}\n`);
  t.is((await lint([join(d, 'at-cap.yaml')])).code, 0, 'a file of exactly the cap is read');
  t.regex((await lint([join(d, 'over-cap.yaml')])).error!, /over-cap\.yaml is larger than 8 MiB/);
});

suite.scenario('a file too dense to parse in bounded memory is one file/too-large error; the other files are linted', { fault: 'an 8 MiB Compose file of tiny services (about 3.2M YAML tokens)' }, async (t) => {
  const d = tmp(t);
  const parts = ['services:\n'];
  for (let i = 0, size = 10; size < MAX_BYTES - 200; i++) {
    const block = `  s${i}:\n    image: nginx\n    ports:\n      - "0.0.0.0:${10000 + (i % 50000)}:80"\n`;
    parts.push(block);
    size += block.length;
  }
  writeFileSync(join(d, 'dense-compose.yaml'), parts.join(''));
  writeFileSync(join(d, 'small-compose.yaml'), 'version: "3"\nservices:\n  web:\n    image: nginx\n');
  const r = await lint([d]);
  t.is(r.code, 1, r.error);
  const findings = JSON.parse(r.out).findings as Array<{ file: string; rule: string; message: string }>;
  const dense = findings.filter((f) => f.file.endsWith('dense-compose.yaml'));
  t.deepEqual(dense.map((f) => f.rule), ['file/too-large']);
  t.regex(dense[0].message, new RegExp(`more than ${MAX_YAML_TOKENS.toLocaleString('en-US')} YAML tokens`));
  t.true(findings.some((f) => f.file.endsWith('small-compose.yaml') && f.rule === 'compose/version-obsolete'), 'the small file is still linted');
  // a sanity bound, not a speed figure (scripts/bench-lint.mjs measures): the file's other scenarios run beside it
  t.true(r.ms < 60_000, `${r.ms} ms`);
});

suite.scenario('20k services are linted in linear time', { fault: 'a Compose file with 20 000 services (was 25 s: quadratic key lookups)' }, async (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'compose.yaml'), `services:\n${Array.from({ length: 20_000 }, (_, i) => `  s${i}:\n    image: nginx\n`).join('')}`);
  const r = await lint([join(d, 'compose.yaml')], {}, { requireIpv6: true });
  t.is(r.code, 1, r.error);
  const j = JSON.parse(r.out);
  t.deepEqual(j.findings.map((f: { rule: string }) => f.rule), ['compose/enable-ipv6-missing']);
  t.regex(j.findings[0].message, /^s0, s1, s2, s3, s4 and 19995 more use the implicit "default" network/);
  // a generous bound for a loaded CI machine; the quadratic code took 25 s on an idle one (scripts/bench-lint.mjs measures)
  t.true(r.ms < 20_000, `${r.ms} ms`);
});
