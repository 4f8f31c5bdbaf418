// Benchmark (a script, not a timed test): `docker ipv6 lint` over the whole real corpus
// (test/fixtures/lint/real) next to yamllint on the same files, median of N interleaved runs each, as a ratio.
// Uses the built dist/docker-ipv6 (run `npm run build` first) and yamllint from PATH (Debian: apt-get install yamllint).
// Prints a table and writes bench/results/lint-<stamp>.json.
// Usage: node scripts/bench-lint.mjs [--runs N] [--dir test/fixtures/lint/real]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
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

if (!existsSync(CLI)) { console.error(`no ${relative(top, CLI)}: run npm run build first`); process.exit(3); }
const yamllint = which('yamllint');
if (!yamllint) { console.error('yamllint is not installed (Debian/Ubuntu: apt-get install -y yamllint)'); process.exit(3); }

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
mkdirSync(join(top, 'bench/results'), { recursive: true });
const out = join(top, 'bench/results', `lint-${results.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${relative(top, out)}`);
