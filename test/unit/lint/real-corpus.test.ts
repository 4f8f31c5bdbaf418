// Precision and recall of `lint` on real public files (test/fixtures/lint/real, provenance in PROVENANCE.md),
// judged by hand in each file's sidecar <name>.expected.json:
//   mustFind    clear IPv6 mistakes: each must come back as a warning or error of that rule (recall);
//   mustNotFind rules that would be wrong at warning/error here (named so a report can say "forbidden");
//   mayFind     true but not clear mistakes (version-obsolete, a defensible intent warning): neither
//               required nor counted against precision.
// Every other warning/error finding is a false positive. info findings are never counted (intent first:
// a file without IPv6 intent may get an info, nothing more). Runs go through main(), the CLI's own entry,
// with --format json, one file per run so that one unreadable file cannot hide the others.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const TOP = join(__dirname, '../../..');
const FIXTURES = join(TOP, 'test/fixtures/lint');
const REAL = join(FIXTURES, 'real');
const AWKWARD = join(FIXTURES, 'awkward');
const RESULTS = join(TOP, 'bench/results/lint-corpus.json');
const ENV = { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker-ipv6-lint-corpus.sock', NO_COLOR: '1' };
const LINTABLE = /\.(ya?ml|json)$/i;
const PRECISION_MIN = 0.95;
const RECALL_MIN = 0.9;
const README = join(TOP, 'README.md');
const FORMATS = ['compose', 'kubernetes', 'cni'] as const;

interface Expected { mustFind: { rule: string; why: string }[]; mustNotFind: string[]; mayFind?: string[]; notes?: string }
interface Finding { file: string; line: number; col: number; severity: string; rule: string; message: string }

function corpusFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...corpusFiles(p));
    else if (LINTABLE.test(e) && !e.endsWith('.expected.json')) out.push(p);
  }
  return out;
}

const sidecarOf = (file: string) => file.replace(/\.(ya?ml|json)$/i, '.expected.json');

function lintEach(files: string[]): { file: string; code: number; stdout: string; stderr: string }[] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'run-main-each.ts'), '--', 'lint', '--format', 'json', '--', ...files], {
    cwd: TOP, encoding: 'utf8', env: ENV, timeout: 240_000, maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`run-main-each failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

interface FileScore {
  file: string; exit: number; correct: number; falsePositives: string[]; ignored: string[]; found: string[]; missed: string[];
  infos: string[]; runError?: string;
}

function totals(rows: FileScore[]) {
  const correct = rows.reduce((n, r) => n + r.correct, 0);
  const fp = rows.reduce((n, r) => n + r.falsePositives.length, 0);
  const found = rows.reduce((n, r) => n + r.found.length, 0);
  const mustTotal = found + rows.reduce((n, r) => n + r.missed.length, 0);
  return {
    files: rows.length, mistakeFiles: rows.filter((r) => r.found.length + r.missed.length > 0).length,
    findingsCounted: correct + fp, correct, falsePositives: fp, mustFind: mustTotal, found,
    precision: correct + fp === 0 ? 1 : correct / (correct + fp),
    recall: mustTotal === 0 ? 1 : found / mustTotal,
  };
}

function score(files: string[]) {
  const rows: FileScore[] = [];
  for (const run of lintEach(files)) {
    const exp: Expected = JSON.parse(readFileSync(sidecarOf(run.file), 'utf8'));
    const rel = relative(FIXTURES, run.file);
    let findings: Finding[] = [];
    let runError: string | undefined;
    try {
      findings = JSON.parse(run.stdout).findings;
    } catch {
      // no report at all (exit 2, empty stdout): the file was in effect reported as an error
      runError = run.stderr.split('\n')[0].slice(0, 160);
      findings = [{ file: run.file, line: 1, col: 1, severity: 'error', rule: 'file/unparsable', message: runError }];
    }
    const must = new Set(exp.mustFind.map((m) => m.rule));
    const may = new Set(exp.mayFind ?? []);
    const forbidden = new Set(exp.mustNotFind);
    const row: FileScore = { file: rel, exit: run.code, correct: 0, falsePositives: [], ignored: [], found: [], missed: [], infos: [], runError };
    for (const f of findings) {
      const at = `${f.rule}@${f.line}:${f.col}`;
      if (f.severity !== 'warning' && f.severity !== 'error') { row.infos.push(at); continue; }
      if (must.has(f.rule)) row.correct++;
      else if (may.has(f.rule)) row.ignored.push(at);
      else row.falsePositives.push(`${f.severity} ${at}${forbidden.has(f.rule) ? ' (forbidden)' : ''}`);
    }
    for (const m of exp.mustFind) {
      const hit = findings.some((f) => f.rule === m.rule && (f.severity === 'warning' || f.severity === 'error'));
      (hit ? row.found : row.missed).push(m.rule);
    }
    rows.push(row);
  }
  return {
    rows,
    totals: totals(rows),
    // per format: the first folder under real/ (compose, kubernetes, cni)
    byFormat: Object.fromEntries(FORMATS.map((f) => [f, totals(rows.filter((r) => r.file.startsWith(`real/${f}/`)))])),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1).replace(/\.0$/, '')}%`;

/** The README's figures block, rewritten only with UPDATE_RESULTS=1 and checked against every run. */
function readmeBlock(real: ReturnType<typeof score>): string {
  const line = (name: string, t: ReturnType<typeof totals>) =>
    `| ${name} | ${t.files} | ${t.mistakeFiles} | ${t.found} of ${t.mustFind} | ${t.correct} of ${t.findingsCounted} | ${pct(t.precision)} | ${pct(t.recall)} |`;
  return [
    '<!-- lint-corpus:begin (rewritten by UPDATE_RESULTS=1 node node_modules/ava/entrypoints/cli.mjs test/unit/lint/real-corpus.test.ts) -->',
    '| format | files | files with a mistake | mistakes found | warnings/errors right | precision | recall |',
    '|---|---|---|---|---|---|---|',
    ...FORMATS.map((f) => line(f === 'cni' ? 'CNI' : f === 'kubernetes' ? 'Kubernetes' : 'Compose', real.byFormat[f])),
    line('all', real.totals),
    '<!-- lint-corpus:end -->',
  ].join('\n');
}

function table(rows: FileScore[]): string {
  return rows.map((r) => [
    r.file.padEnd(58), `exit ${r.exit}`, `ok ${r.correct}`, `fp ${r.falsePositives.length}`, `miss ${r.missed.length}`,
    r.falsePositives.length ? `FP: ${r.falsePositives.join(', ')}` : '', r.missed.length ? `MISSED: ${r.missed.join(', ')}` : '',
    r.runError ? `RUN: ${r.runError}` : '',
  ].filter(Boolean).join('  ')).join('\n');
}

test('every real corpus file has a sidecar and a provenance row with a link: a file at a commit, or a thread', (t) => {
  const files = corpusFiles(REAL);
  t.true(files.length >= 88, `only ${files.length} real files`);
  const prov = readFileSync(join(REAL, 'PROVENANCE.md'), 'utf8');
  let mistakes = 0;
  for (const f of files) {
    const rel = relative(REAL, f);
    const exp: Expected = JSON.parse(readFileSync(sidecarOf(f), 'utf8'));
    t.true(Array.isArray(exp.mustFind) && Array.isArray(exp.mustNotFind), `${rel}: sidecar shape`);
    if (exp.mustFind.length) mistakes++;
    for (const m of exp.mustFind) t.true(m.why.length > 20, `${rel}: every mistake says why (thread, docs)`);
    const row = prov.split('\n').find((l) => l.startsWith(`| ${rel} |`));
    t.truthy(row, `${rel}: no PROVENANCE.md row`);
    const cells = (row ?? '').split('|').map((c) => c.trim());
    const [repo, commit, link] = [cells[2], cells[4], cells[7]];
    if (/^[0-9a-f]{40}$/.test(commit)) t.true(link.startsWith(`https://github.com/${repo}/blob/${commit}/`), `${rel}: the link names the file at its commit`);
    else t.regex(link ?? '', new RegExp(`^https://github\\.com/${repo.replace('/', '\\/')}/(issues|pull)/\\d+$`), `${rel}: a thread link`);
  }
  t.true(mistakes >= 30, `${mistakes} files with a mistake`);
  t.true(files.length - mistakes >= mistakes, 'at least as many correct files as files with a mistake');
});

test('precision and recall on the real corpus (warnings and errors against the hand-judged sidecars)', (t) => {
  t.timeout(300_000);
  const real = score(corpusFiles(REAL));
  const awkward = score(corpusFiles(AWKWARD));
  t.log(`\n${table(real.rows)}`);
  t.log(`real: ${JSON.stringify(real.totals)}`);
  t.log(`\n${table(awkward.rows)}`);
  t.log(`awkward (written here, not counted): ${JSON.stringify(awkward.totals)}`);
  // the committed figures are rewritten only on request (UPDATE_RESULTS=1): a plain test run leaves the tree clean
  for (const f of FORMATS) t.log(`${f}: ${JSON.stringify(real.byFormat[f])}`);
  const block = readmeBlock(real);
  const readme = readFileSync(README, 'utf8');
  const blockRe = /<!-- lint-corpus:begin[\s\S]*?<!-- lint-corpus:end -->/;
  if (process.env.UPDATE_RESULTS === '1') {
    mkdirSync(join(TOP, 'bench/results'), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify({ measuredAt: new Date().toISOString(), thresholds: { precision: PRECISION_MIN, recall: RECALL_MIN }, real, awkward }, null, 2)}\n`);
    writeFileSync(README, readme.replace(blockRe, block));
  } else {
    t.is(blockRe.exec(readme)?.[0], block, 'README figures match this corpus (rerun with UPDATE_RESULTS=1 to rewrite them)');
  }
  t.true(real.totals.precision >= PRECISION_MIN, `precision ${real.totals.precision.toFixed(3)} < ${PRECISION_MIN}`);
  t.true(real.totals.recall >= RECALL_MIN, `recall ${real.totals.recall.toFixed(3)} < ${RECALL_MIN}`);
  for (const f of FORMATS) {
    t.true(real.byFormat[f].precision >= PRECISION_MIN, `${f} precision ${real.byFormat[f].precision.toFixed(3)}`);
    t.true(real.byFormat[f].recall >= RECALL_MIN, `${f} recall ${real.byFormat[f].recall.toFixed(3)}`);
  }
});

test('the whole fixture directory in one run gives complete JSON, the template file included', (t) => {
  t.timeout(120_000);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'run-main.ts'), 'lint', '--format', 'json', FIXTURES], {
    cwd: TOP, encoding: 'utf8', env: ENV, timeout: 110_000, maxBuffer: 64 * 1024 * 1024,
  });
  t.not(r.status, 2, `exit 2 (usage/unreadable) for a directory of readable files: ${r.stderr.slice(0, 300)}`);
  let report: { findings: Finding[]; files: { file: string }[] } | undefined;
  t.notThrows(() => { report = JSON.parse(r.stdout); }, `stdout is not complete JSON (${r.stdout.length} bytes)`);
  if (!report) return;
  t.true(Array.isArray(report.findings));
  const seen = new Set([...(report.files ?? []).map((f) => f.file), ...report.findings.map((f) => f.file)]);
  for (const f of [...corpusFiles(REAL), ...corpusFiles(AWKWARD)]) t.true(seen.has(f), `${relative(FIXTURES, f)} missing from the report`);
  const template = join(REAL, 'cni/flannel-chart-config-template.yaml');
  t.false(report.findings.some((f) => f.file === template && f.severity === 'error'), 'the Helm template is reported as an error instead of skipped with a note');
});
