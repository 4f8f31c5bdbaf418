#!/usr/bin/env node
// The fleet read-out of 1, 2, 5 and 10 lab hosts (README "Many hosts"): `docker ipv6 status` and `doctor` over that many
// --context, each host's facts read by the probe container there, as a ratio to the same read-out of one host.
// Usage: node scripts/bench-fleet.mjs [--hosts 10] [--runs 5] [--docker 20|26|28]
// Needs root and a built dist/docker-ipv6; the labs it makes are removed at the end, also on failure.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const hosts = Number(opt('hosts', '10'));
const runs = Number(opt('runs', '5'));
const dockerVersion = opt('docker', '20');
const sizes = [1, 2, 5, 10].filter((n) => n <= hosts);
const CLI = join(import.meta.dirname, '..', 'dist', 'docker-ipv6');
const tag = randomBytes(2).toString('hex');
const names = Array.from({ length: hosts }, (_, i) => `bf${tag}-${i}`);
const cfg = mkdtempSync(join(tmpdir(), 'd6-bench-fleet-'));
const env = { ...process.env, DOCKER_CONFIG: cfg };

function run(argv, okCodes = [0]) {
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (!okCodes.includes(r.status)) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))]; };

function time(argv, okCodes) {
  const ms = [];
  run(argv, okCodes); // warm
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    run(argv, okCodes);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { median: median(ms), p10: pct(ms, 0.1), p90: pct(ms, 0.9) };
}

try {
  process.stderr.write(`bringing up ${hosts} lab hosts (Docker ${dockerVersion})...\n`);
  // a few at a time: each is a dockerd start on a 2-core machine
  for (let i = 0; i < names.length; i += 3) {
    const batch = names.slice(i, i + 3).map((n) => spawnSync('sh', ['-c', `${CLI} lab up ${n} --docker ${dockerVersion} >/dev/null`], { env, encoding: 'utf8' }));
    for (const b of batch) if (b.status !== 0) throw new Error(`lab up failed: ${b.stderr}`);
  }
  for (const n of names) run(['docker', 'context', 'create', n, '--docker', `host=unix:///run/docker-ipv6-labs/${n}/docker.sock`]);
  const ctx = (k) => names.slice(0, k).flatMap((n) => ['--context', n]);
  run([CLI, 'image', ...ctx(hosts)]);
  const results = {};
  for (const k of sizes) {
    results[k] = {
      // one host as a fleet of one (the same context twice): the same read-out path, so the ratio is the fleet's own
      status: time([CLI, 'status', ...(k === 1 ? ['--context', names[0], '--context', names[0]] : ctx(k))]),
      doctor: time([CLI, 'doctor', ...(k === 1 ? ['--context', names[0], '--context', names[0]] : ctx(k))], [0, 1]),
    };
    process.stderr.write(`${k} host(s): status ${results[k].status.median.toFixed(0)} ms, doctor ${results[k].doctor.median.toFixed(0)} ms\n`);
  }
  const one = results[1];
  console.log(`fleet read-out, Docker ${dockerVersion} lab hosts, ${runs} runs each (median, p10-p90), each host read by its probe container:`);
  for (const k of sizes) {
    const r = results[k];
    console.log(`${String(k).padStart(2)} host(s): status ${r.status.median.toFixed(0)} ms (${r.status.p10.toFixed(0)}-${r.status.p90.toFixed(0)}) = ${(r.status.median / one.status.median).toFixed(2)}x, doctor ${r.doctor.median.toFixed(0)} ms (${r.doctor.p10.toFixed(0)}-${r.doctor.p90.toFixed(0)}) = ${(r.doctor.median / one.doctor.median).toFixed(2)}x`);
  }
  const at = new Date().toISOString();
  const out = join(import.meta.dirname, '..', 'bench', 'results', `fleet-${at.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ at, docker: dockerVersion, runs, window: 4, spread: 'p10-p90', results }, null, 2)}\n`);
  console.log(`written ${out}`);
} finally {
  for (const n of names) spawnSync(CLI, ['lab', 'down', n], { stdio: 'ignore' });
  rmSync(cfg, { recursive: true, force: true });
}
