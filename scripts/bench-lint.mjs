// Benchmark (a script, not a timed test), two parts:
//  - corpus: `docker ipv6 lint` over the whole real corpus (test/fixtures/lint/real) next to yamllint on the same
//    files, median of N interleaved runs each, as a ratio (needs yamllint on PATH: apt-get install yamllint);
//  - scale: time, CPU time and peak memory (GNU time: apt-get install time) of one lint run on generated files:
//    Compose files of 1k, 5k and 20k services (is the growth linear?), CRD-like text of 7 MiB (linted) and at the
//    8 MiB size cap (just past the token budget), dense YAML at the cap (stops at the token budget) and the densest
//    file within the token budget (the worst case for memory).
// Uses the built dist/docker-ipv6 (run `npm run build` first). Prints tables and writes bench/results/lint-<stamp>.json.
// Usage: node scripts/bench-lint.mjs [--runs N] [--dir test/fixtures/lint/real] [--scale-only | --corpus-only]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(top, 'dist/docker-ipv6');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const RUNS = Number(opt('--runs', '11')) || 11;
const DIR = join(top, opt('--dir', 'test/fixtures/lint/real'));
// Docker is not needed for lint's file rules; point it nowhere so the host-collision probe is a quick note
const ENV = { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker-ipv6-bench-lint.sock', NO_COLOR: '1' };

function corpusFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...corpusFiles(p));
    else if (/\.(ya?ml|json)$/i.test(e) && !e.endsWith('.expected.json')) out.push(p);
  }
  return out;
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function timeOnce(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: ENV, cwd: top, maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const stats = (xs) => ({ median: +median(xs).toFixed(1), p10: +pct(xs, 0.1).toFixed(1), p90: +pct(xs, 0.9).toFixed(1), runs: xs.length });

function corpusBench() {
  const yamllint = which('yamllint');
  if (!yamllint) {
    if (corpusOnly) { console.error('yamllint is not installed (Debian/Ubuntu: apt-get install -y yamllint)'); process.exit(3); }
    console.log('corpus part skipped: yamllint is not installed (Debian/Ubuntu: apt-get install -y yamllint)');
    return { skipped: 'yamllint not installed' };
  }
  const files = corpusFiles(DIR);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const cmds = {
    'docker ipv6 lint FILES --format json': [CLI, 'ipv6', 'lint', '--format', 'json', ...files],
    'docker ipv6 lint DIR --format json': [CLI, 'ipv6', 'lint', '--format', 'json', DIR],
    'yamllint FILES': [yamllint, '-f', 'parsable', ...files],
    // the fixed cost (node start, bundle load) next to the per-file work
    'docker ipv6 lint ONE FILE': [CLI, 'ipv6', 'lint', '--format', 'json', files[0]],
    'yamllint ONE FILE': [yamllint, '-f', 'parsable', files[0]],
  };
  const names = Object.keys(cmds);
  const times = names.map(() => []);
  const last = {};
  for (let i = 0; i < RUNS + 2; i++) { // 2 warm-up rounds; commands interleaved so drift hits all alike
    names.forEach((n, j) => { const r = timeOnce(cmds[n]); last[n] = r; if (i >= 2) times[j].push(r.ms); });
  }
  const fig = Object.fromEntries(names.map((n, j) => [n, stats(times[j])]));
  const completeJson = (s) => { try { return Array.isArray(JSON.parse(s).findings); } catch { return false; } };
  const anchor = fig['yamllint FILES'];
  const results = {
    at: new Date().toISOString(), node: process.version, yamllint: spawnSync(yamllint, ['--version'], { encoding: 'utf8' }).stdout.trim(),
    corpus: relative(top, DIR), files: files.length, bytes, runs: RUNS,
    figures: Object.fromEntries(names.map((n) => [n, {
      ...fig[n], exit: last[n].status,
      ...(n.startsWith('docker') ? { completeJson: completeJson(last[n].stdout) } : { problems: last[n].stdout.split('\n').filter(Boolean).length }),
      ratioToYamllint: +(fig[n].median / anchor.median).toFixed(3),
    }])),
  };

  console.log(`corpus: ${results.files} files, ${bytes} bytes (${results.corpus}); ${RUNS} runs after 2 warm-up; ${results.yamllint}; node ${process.version}`);
  for (const n of names) {
    const f = results.figures[n];
    console.log(`${n.padEnd(40)} ${String(f.median).padStart(8)} ms (p10 ${f.p10}, p90 ${f.p90})  exit ${f.exit}  ${f.ratioToYamllint.toFixed(2)}x yamllint`);
  }
  return results;
}

/** One run: wall time and, through GNU time, peak memory (max RSS); what it found, from its JSON. */
function measure(argv) {
  const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(time ?? argv[0], time ? ['-f', 'maxrss-kib=%M cpu-s=%U+%S', ...argv] : argv.slice(1), { encoding: 'utf8', env: ENV, cwd: top, maxBuffer: 1024 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  const m = /maxrss-kib=(\d+) cpu-s=([\d.]+)\+([\d.]+)\s*$/.exec(r.stderr);
  const kib = m?.[1];
  let rules = [];
  try { rules = JSON.parse(r.stdout).findings.map((f) => f.rule); } catch { /* not JSON: reported by exit */ }
  return { ms, cpuMs: m ? (Number(m[2]) + Number(m[3])) * 1000 : undefined, mib: kib ? Number(kib) / 1024 : undefined, status: r.status, findings: rules.length, tooLarge: rules.includes('file/too-large') };
}

/** The lexer's token count of a text, as lint's budget counts it. */
async function tokenCount(text) {
  const { Lexer } = await import('yaml');
  let n = 0;
  for (const _ of new Lexer().lex(text)) n++;
  return n;
}

const MAX_BYTES = 8 * 1024 * 1024;
const service = (i, withPorts) => `  s${i}:\n    image: nginx\n${withPorts ? `    networks: [n${i % 50}]\n    ports:\n      - "0.0.0.0:${10000 + (i % 50000)}:80"\n` : ''}`;
const NETWORKS = `networks:\n${Array.from({ length: 50 }, (_, j) => `  n${j}:\n    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: fd8b:1c2d:3e4f:${j.toString(16)}::/64\n`).join('')}`;
const compose = (n, withPorts) => `services:\n${Array.from({ length: n }, (_, i) => service(i, withPorts)).join('')}${withPorts ? NETWORKS : ''}`;

/** CRD-like YAML (what large real manifests are: long folded descriptions), repeated up to `bytes`. */
function crdLike(bytes) {
  const words = 'the value of this field selects which addresses of the pool are handed out to workloads and how they reach other networks'.split(' ');
  const doc = (k) => {
    const props = Array.from({ length: 40 }, (_, p) => {
      const desc = Array.from({ length: 4 }, (_, l) => `                  ${Array.from({ length: 12 }, (_, w) => words[(k + p + l + w) % words.length]).join(' ')}`).join('\n');
      return `              field${p}:\n                description: ${words[p % words.length]} field of resource ${k}\n${desc}\n                type: string\n`;
    }).join('');
    return `---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things${k}.example.org\nspec:\n  group: example.org\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        properties:\n          spec:\n            properties:\n${props}`;
  };
  const parts = [];
  let size = 0;
  for (let k = 0; ; k++) { const d = doc(k); if (size + d.length > bytes) break; parts.push(d); size += d.length; }
  return parts.join('');
}

/** Tiny services (the densest YAML) up to `bytes`. */
function dense(bytes) {
  const parts = ['services:\n'];
  for (let i = 0, size = 10; ; i++) { const b = service(i, true); if (size + b.length > bytes) break; parts.push(b); size += b.length; }
  return parts.join('');
}

async function scaleBench() {
  const budget = Number(/MAX_YAML_TOKENS = ([\d_]+)/.exec(readFileSync(join(top, 'src/lint/source.ts'), 'utf8'))[1].replace(/_/g, ''));
  const dir = mkdtempSync(join(tmpdir(), 'bench-lint-'));
  try {
    const cases = [];
    for (const n of [1000, 5000, 20000]) cases.push({ name: `${n} services (image only)`, services: n, text: compose(n, false) });
    for (const n of [1000, 5000, 20000]) cases.push({ name: `${n} services (image, network, 0.0.0.0 port)`, services: n, text: compose(n, true) });
    // CRD text is sparse (about 0.055 tokens a byte, as Calico's 3.5 MB operator-crds.yaml): 7 MiB is within the
    // token budget and linted, 8 MiB is just past it
    cases.push({ name: 'CRD-like manifest, 7 MiB', text: crdLike(7 * 1024 * 1024) });
    cases.push({ name: 'CRD-like manifest at the 8 MiB cap', text: crdLike(MAX_BYTES) });
    cases.push({ name: 'dense YAML at the 8 MiB cap', text: dense(MAX_BYTES) });
    // the worst case for memory: the densest YAML just within the token budget
    const per = (await tokenCount(dense(200_000))) / 200_000;
    let bytes = Math.floor((budget * 0.98) / per);
    while ((await tokenCount(dense(bytes))) > budget) bytes = Math.floor(bytes * 0.98);
    cases.push({ name: `densest YAML within the ${budget.toLocaleString('en-US')}-token budget`, text: dense(bytes) });
    const rows = [];
    for (const c of cases) {
      const file = join(dir, 'compose.yaml');
      writeFileSync(file, c.text);
      const tokens = await tokenCount(c.text);
      const argv = [CLI, 'ipv6', 'lint', '--format', 'json', file];
      measure(argv); // warm-up (page cache, the executable's first start)
      const runs = Array.from({ length: Math.max(3, Math.min(RUNS, 7)) }, () => measure(argv));
      const last = runs[runs.length - 1];
      const row = {
        name: c.name, services: c.services, bytes: Buffer.byteLength(c.text), tokens, exit: last.status, findings: last.findings, notLinted: last.tooLarge,
        ms: stats(runs.map((r) => r.ms)), cpuMs: runs[0].cpuMs === undefined ? undefined : stats(runs.map((r) => r.cpuMs)), peakMiB: runs[0].mib === undefined ? undefined : stats(runs.map((r) => r.mib)),
      };
      rows.push(row);
      console.log(`${c.name.padEnd(52)} ${(row.bytes / 1048576).toFixed(2).padStart(5)} MiB ${String(tokens).padStart(8)} tokens  ${String(row.ms.median).padStart(8)} ms (p10 ${row.ms.p10}, p90 ${row.ms.p90})  cpu ${row.cpuMs ? `${row.cpuMs.median} ms` : 'n/a'}  peak ${row.peakMiB ? `${row.peakMiB.median} MiB` : 'n/a (no /usr/bin/time)'}  exit ${row.exit}${row.notLinted ? '  file/too-large' : ''}`);
    }
    const series = rows.filter((r) => r.services && r.name.includes('image only'));
    const perK = series.map((r) => +(r.ms.median / (r.services / 1000)).toFixed(1));
    // CPU time (user + system) is the steadier figure on a shared machine: wall time there waits for other work
    const cpuPerK = series.every((r) => r.cpuMs) ? series.map((r) => +(r.cpuMs.median / (r.services / 1000)).toFixed(1)) : undefined;
    console.log(`ms per 1k services (image only) at 1k / 5k / 20k: wall ${perK.join(' / ')}${cpuPerK ? `, cpu ${cpuPerK.join(' / ')}` : ''} (a falling or flat line: linear plus start-up)`);
    return { budget, cap: MAX_BYTES, rows, msPer1kServices: perK, cpuMsPer1kServices: cpuPerK };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!existsSync(CLI)) { console.error(`no ${relative(top, CLI)}: run npm run build first`); process.exit(3); }
const scaleOnly = args.includes('--scale-only');
const corpusOnly = args.includes('--corpus-only');
const stamp = new Date().toISOString();
// the load average at the start and the end: on a shared machine wall times wait for other work (CPU times much less)
const results = { at: stamp, node: process.version, runs: RUNS, loadAverageAtStart: loadavg() };
if (!scaleOnly) results.corpus = corpusBench();
if (!corpusOnly) results.scale = await scaleBench();
mkdirSync(join(top, 'bench/results'), { recursive: true });
const out = join(top, 'bench/results', `lint-${stamp.replace(/[:.]/g, '-')}.json`);
results.loadAverageAtEnd = loadavg();
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${relative(top, out)}`);
