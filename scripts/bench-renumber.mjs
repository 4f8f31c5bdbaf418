#!/usr/bin/env node
// Renumbering figures for the README (issue 24, NPTv6): `docker ipv6 renumber --outside-prefix P` as a person (or a
// DHCPv6-PD hook) runs it, through the docker CLI, next to one `docker network create` on the same daemon, with 10
// and 100 networks on the inside prefix. Target: at most 1x the anchor, and flat in the number of networks.
// Also the pass the command reports itself (--json ms: lock, state, one reconcile pass, the nat batch); the executable
// called directly (`docker-ipv6 renumber ...`, as the DHCPv6-PD hooks in contrib/ call it) besides the docker CLI path;
// and `docker-ipv6 --help` called directly in the same runs: the runtime's start-up floor, which no command goes below.
// Usage: node scripts/bench-renumber.mjs [--docker 28|29] [--firewall-backend iptables|nftables] [--scales 10,100] [--runs 7]
//        [--lab-prefix P] [--cli PATH] (another build of docker-ipv6) [--compare PATH] (a second build, e.g. main's, measured
//        in the same runs, interleaved: a before/after that a busy machine hits alike; its file must be named docker-ipv6)
// Needs root and a built dist/docker-ipv6; the lab it makes is removed at the end, also on failure. Table printed,
// JSON under bench/results/renumber-*.json.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dockerApi as api, labToolEnv } from './bench-lab.mjs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const now = () => performance.timeOrigin + performance.now();
const dockerVersion = opt('docker', '28');
const firewallBackend = opt('firewall-backend', undefined);
const scales = opt('scales', '10,100').split(',').map(Number);
const runs = Number(opt('runs', '7'));
const REPO = join(import.meta.dirname, '..');
const CLI = opt('cli', join(REPO, 'dist', 'docker-ipv6'));
const COMPARE = opt('compare', undefined);
// --lab-prefix: parallel sessions name their labs apart
const name = `${opt('lab-prefix', 'bren-')}${randomBytes(3).toString('hex')}`;
const OUTSIDE = ['2001:db8:800::/48', '2001:db8:900::/48'];

function run(argv, env = process.env) {
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor((xs.length - 1) / 2)];
const summary = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });
const note = (s) => process.stderr.write(`${s}\n`);

const result = { at: new Date().toISOString(), docker: dockerVersion, firewallBackend, runs, cli: CLI, compare: COMPARE, scales: [] };
try {
  const rec = JSON.parse(run([CLI, 'lab', 'up', name, '--json', '--docker', dockerVersion, ...(firewallBackend ? ['--firewall-backend', firewallBackend] : [])]));
  result.docker = rec.dockerd.version ?? dockerVersion;
  const socket = rec.dockerd.socket;
  const env = labToolEnv(rec, CLI);
  run([CLI, 'lab', 'exec', name, '--', 'true']); // makes the lab's docker-config/cli-plugins link: `docker ipv6` is this build
  const inHost = (argv) => ['nsenter', `--net=/var/run/netns/${rec.namespaces.host}`, '--', ...argv];
  run(inHost([CLI, 'enable', '--yes', '--mode', 'npt', '--prefix', 'auto', '--outside-prefix', OUTSIDE[0]]), env);
  const inside = JSON.parse(readFileSync(join(rec.toolRoot, 'var/lib/docker-ipv6/state.json'), 'utf8')).prefix;
  const base = inside.replace(/::\/48$/, '');
  note(`npt: ${inside} <-> ${OUTSIDE[0]} on Docker ${result.docker}${firewallBackend ? ` (${firewallBackend})` : ''}`);
  const builds = [{ label: 'this build', cli: CLI, env }];
  if (COMPARE) {
    // `docker ipv6` of the other build: its own DOCKER_CONFIG whose cli-plugins/docker-ipv6 is that build
    const dir = join(rec.dir, 'docker-config-compare');
    mkdirSync(join(dir, 'cli-plugins'), { recursive: true });
    symlinkSync(COMPARE, join(dir, 'cli-plugins', 'docker-ipv6'));
    builds.push({ label: 'compared build', cli: COMPARE, env: { ...env, DOCKER_CONFIG: dir } });
  }

  let made = 0;
  let flip = 0;
  for (const n of scales) {
    note(`scale ${n}: creating networks...`);
    for (; made < n; made++) {
      await api(socket, 'POST', '/networks/create', { Name: `n${made}`, EnableIPv6: true, IPAM: { Config: [{ Subnet: `${base}:${(0x100 + made).toString(16)}::/64` }] } });
    }
    run(inHost([CLI, 'apply']), env); // the filter knows every network, as the agent would have it
    const anchor = []; const changes = [];
    const m = builds.map(() => ({ wall: [], reported: [], direct: [], directReported: [], help: [] }));
    const renumber = (b, argv, to, into, ms) => {
      const t = now();
      const out = JSON.parse(run(inHost([...argv, 'renumber', '--json', '--outside-prefix', to]), b.env));
      into.push(now() - t);
      if (!out.changed || out.outsidePrefix !== to) throw new Error(`renumber to ${to} did not change: ${JSON.stringify(out)}`);
      ms.push(out.ms);
      changes.push(out.changes.length);
    };
    for (let r = 0; r < runs; r++) {
      // interleaved, so a burst of load elsewhere on the machine hits all alike
      const t0 = now();
      run(inHost(['docker', 'network', 'create', '--ipv6', '--subnet', `${base}:ff00::/64`, 'anchor']), env);
      anchor.push(now() - t0);
      run(inHost(['docker', 'network', 'rm', 'anchor']), env);
      for (const [i, b] of builds.entries()) {
        renumber(b, ['docker', 'ipv6'], OUTSIDE[++flip % 2], m[i].wall, m[i].reported);
        renumber(b, [b.cli], OUTSIDE[++flip % 2], m[i].direct, m[i].directReported);
        const t2 = now();
        run(inHost([b.cli, '--help']), b.env);
        m[i].help.push(now() - t2);
      }
    }
    const dockerNetworks = (await api(socket, 'GET', '/networks')).length;
    const measured = (x) => ({ renumberWall: summary(x.wall), renumberReported: summary(x.reported), directWall: summary(x.direct), directReported: summary(x.directReported), helpDirect: summary(x.help) });
    const row = {
      networks: n, dockerNetworks, anchor: summary(anchor), ...measured(m[0]), changes: [...new Set(changes)],
      ...(COMPARE ? { compared: measured(m[1]) } : {}),
    };
    result.scales.push(row);
    note(`  ${JSON.stringify(row)}`);
  }
} finally {
  spawnSync(CLI, ['lab', 'down', name], { stdio: 'ignore' });
}

const f = (x) => x.toFixed(1);
const ratio = (a, b) => (a / b).toFixed(2);
const lines = [`docker-ipv6 renumber benchmark, Docker ${result.docker}${firewallBackend ? ` (${firewallBackend} backend)` : ''}, ${runs} runs per figure (median, min-max), interleaved with the anchor: one \`docker network create --ipv6\` (CLI) on the same daemon`, ''];
lines.push('| figure | measured | anchor | ratio | target |', '|---|---|---|---|---|');
for (const r of result.scales) {
  for (const [who, x] of [['', r], ...(r.compared ? [[`compared build (${COMPARE}): `, r.compared]] : [])]) {
    lines.push(`| ${who}\`docker ipv6 renumber\`, ${r.networks} networks (docker CLI + plugin, whole command) | ${f(x.renumberWall.median)} ms (${f(x.renumberWall.min)}-${f(x.renumberWall.max)}) | ${f(r.anchor.median)} ms | ${ratio(x.renumberWall.median, r.anchor.median)}x | <= 1x, flat |`);
    lines.push(`| ${who}its own pass (--json ms: lock, state, reconcile, nat batch), ${r.networks} networks | ${f(x.renumberReported.median)} ms (${f(x.renumberReported.min)}-${f(x.renumberReported.max)}) | ${f(r.anchor.median)} ms | ${ratio(x.renumberReported.median, r.anchor.median)}x | - |`);
    lines.push(`| ${who}\`docker-ipv6 renumber\` called directly (as the DHCPv6-PD hooks do), ${r.networks} networks | ${f(x.directWall.median)} ms (${f(x.directWall.min)}-${f(x.directWall.max)}) | ${f(r.anchor.median)} ms | ${ratio(x.directWall.median, r.anchor.median)}x | - |`);
    lines.push(`| ${who}its own pass when called directly (--json ms), ${r.networks} networks | ${f(x.directReported.median)} ms (${f(x.directReported.min)}-${f(x.directReported.max)}) | ${f(r.anchor.median)} ms | ${ratio(x.directReported.median, r.anchor.median)}x | - |`);
    lines.push(`| ${who}\`docker-ipv6 --help\` called directly (the runtime's start-up floor) | ${f(x.helpDirect.median)} ms (${f(x.helpDirect.min)}-${f(x.helpDirect.max)}) | ${f(r.anchor.median)} ms | ${ratio(x.helpDirect.median, r.anchor.median)}x | - |`);
  }
}
if (result.scales.length > 1) {
  const [a, b] = [result.scales[0], result.scales.at(-1)];
  lines.push('', `growth ${a.networks} -> ${b.networks} networks: renumber ${f(a.renumberWall.median)} -> ${f(b.renumberWall.median)} ms (${((b.renumberWall.median - a.renumberWall.median) / (b.networks - a.networks) * 1000).toFixed(0)} us per network); anchor ${f(a.anchor.median)} -> ${f(b.anchor.median)} ms`);
}
console.log(lines.join('\n'));
mkdirSync(join(REPO, 'bench/results'), { recursive: true });
const file = join(REPO, 'bench/results', `renumber-${result.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ ...result, table: lines }, null, 2)}\n`);
console.log(`\nwritten ${file}`);
