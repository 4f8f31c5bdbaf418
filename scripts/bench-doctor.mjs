#!/usr/bin/env node
// Doctor run time on a lab with 100 IPv6 networks next to `docker network inspect $(docker network ls -q)`
// (README figure; target: doctor within 2.5x). Usage: node scripts/bench-doctor.mjs [--docker 20|26|28] [--networks 100] [--runs 7]
// Needs root and a built dist/docker-ipv6; the lab it makes is removed at the end, also on failure.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const dockerVersion = opt('docker', '20');
const networks = Number(opt('networks', '100'));
const runs = Number(opt('runs', '7'));
const CLI = join(import.meta.dirname, '..', 'dist', 'docker-ipv6');
const name = `bench-${randomBytes(3).toString('hex')}`;

function run(argv, env = process.env, okCodes = [0]) {
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (!okCodes.includes(r.status)) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function time(argv, env, okCodes) {
  const ms = [];
  run(argv, env, okCodes); // warm the page cache
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    run(argv, env, okCodes);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { median: median(ms), min: Math.min(...ms), max: Math.max(...ms) };
}

try {
  const rec = JSON.parse(run([CLI, 'lab', 'up', name, '--json', '--docker', dockerVersion]));
  run([CLI, 'lab', 'exec', name, '--', 'true']); // makes the lab's docker-config with the plugin
  const env = {
    ...process.env,
    DOCKER_HOST: `unix://${rec.dockerd.socket}`, DOCKER_CONFIG: join(rec.dir, 'docker-config'),
    DOCKER_IPV6_CONFIG_FILE: rec.dockerd.configFile, DOCKER_IPV6_ROOT: rec.toolRoot, DOCKER_IPV6_DOCKERD: rec.dockerd.path,
    DOCKER_IPV6_RESTART_COMMAND: `${CLI} lab restart ${name}`, PATH: [...rec.dockerd.pathDirs, process.env.PATH].join(':'),
  };
  const inHost = (argv) => ['nsenter', `--net=/var/run/netns/${rec.namespaces.host}`, '--', ...argv];
  run(inHost([CLI, 'enable', '--yes']), env);
  process.stderr.write(`creating ${networks} IPv6 networks...\n`);
  // explicit subnets: the same on every Docker version, whatever its pool handling
  for (let i = 0; i < networks; i++) run(inHost(['docker', 'network', 'create', '--ipv6', '--subnet', `fdb0:0:0:${i.toString(16)}::/64`, `n${i}`]), env);
  const total = run(inHost(['docker', 'network', 'ls', '-q']), env).trim().split('\n').length;

  const inspect = time(inHost(['sh', '-c', 'docker network inspect $(docker network ls -q) >/dev/null']), env);
  const doctorPlugin = time(inHost([CLI, 'doctor', '--json']), env, [0, 1]);
  const doctorCli = time(inHost(['docker', 'ipv6', 'doctor', '--json']), env, [0, 1]);
  const r = (x) => (x.median / inspect.median).toFixed(2);
  const f = (x) => `${x.median.toFixed(0)} ms (min ${x.min.toFixed(0)}, max ${x.max.toFixed(0)})`;
  console.log(`lab ${name}: Docker ${rec.dockerd.version ?? dockerVersion}, ${total} networks, ${runs} runs each (medians)`);
  console.log(`docker network inspect $(docker network ls -q): ${f(inspect)}`);
  console.log(`docker-ipv6 doctor --json (plugin run directly):  ${f(doctorPlugin)}  = ${r(doctorPlugin)}x`);
  console.log(`docker ipv6 doctor --json (through the docker CLI): ${f(doctorCli)}  = ${r(doctorCli)}x`);
  console.log(`target: within 2.5x -> ${Number(r(doctorCli)) <= 2.5 ? 'met' : 'NOT met'}`);
  const at = new Date().toISOString();
  const out = join(import.meta.dirname, '..', 'bench', 'results', `doctor-${at.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ at, docker: rec.dockerd.version ?? dockerVersion, networks: total, runs, spread: 'min-max', inspect, doctorPlugin, doctorCli, ratioPlugin: Number(r(doctorPlugin)), ratioCli: Number(r(doctorCli)), target: '<= 2.5x' }, null, 2)}\n`);
  console.log(`written ${out}`);
} finally {
  spawnSync(CLI, ['lab', 'down', name], { stdio: 'ignore' });
}
