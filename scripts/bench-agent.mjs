#!/usr/bin/env node
// Agent figures for the README (issues 6 and 8), each next to one `docker network create` on the same daemon:
// reconcile from scratch at 10/100/1000/5000 networks, event -> rule/proxy entry in place (p50/p99, fast path),
// processes spawned per reconcile, the agent's peak RSS at 1000 networks. Table printed, JSON under bench/results/.
// Usage: node scripts/bench-agent.mjs [--docker 20|26|28|29] [--firewall-backend iptables|nftables] [--scales 10,100,1000,5000] [--runs 5] [--events 100]
//          [--net-events 30] [--create-budget 600] [--window 4]
// Needs root and a built dist/docker-ipv6; the lab it makes is removed at the end, also on failure.
// Internal: `--watch SOCKET` is the watcher run inside the lab's host namespace (docker events, netlink, nft monitor).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, openSync } from 'node:fs';
import { request } from 'node:http';
import { dockerApi as api, labToolEnv } from './bench-lab.mjs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


/** 16 bytes of an IPv6 address, as hex (netlink gives bytes; no parsing library needed here). */
function hex6(a) {
  const [l, r] = a.split('::');
  const L = l ? l.split(':') : []; const R = r !== undefined && r ? r.split(':') : [];
  const mid = r === undefined ? [] : Array(8 - L.length - R.length).fill('0');
  return [...L, ...mid, ...R].map((g) => g.padStart(4, '0')).join('');
}

// ---------------------------------------------------------------- watcher (inside the lab's host namespace)
async function watch(socket) {
  const { createRtNetlink } = await import('netlink');
  const sock = createRtNetlink();
  const events = new Map(); // "type action name" -> arrival time
  const waiters = new Map();
  const nftLines = [];
  const nft = spawn('/usr/sbin/nft', ['monitor', 'rules'], { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: nft.stdout }).on('line', (line) => nftLines.push({ t: now(), line }));
  const filters = encodeURIComponent(JSON.stringify({ type: ['container', 'network'], event: ['start', 'die', 'create'] }));
  request({ socketPath: socket, path: `/events?filters=${filters}` }, (res) => {
    let buf = '';
    res.setEncoding('utf8').on('data', (d) => {
      const t = now();
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const e = JSON.parse(buf.slice(0, nl)); buf = buf.slice(nl + 1);
        const key = `${e.Type} ${e.Action} ${e.Actor?.Attributes?.name}`;
        if (!events.has(key)) events.set(key, t);
        waiters.get(key)?.(t);
      }
    });
  }).end();
  const proxyPresent = async (h) => (await sock.getNeighbors({ family: 10, flags: { proxy: true } }))
    .some((n) => n.data.flags?.proxy && n.attrs.dst && Buffer.from(n.attrs.dst).toString('hex') === h);
  const rl = createInterface({ input: process.stdin });
  process.stdout.write('{"ready":true}\n');
  for await (const line of rl) {
    const q = JSON.parse(line);
    const deadline = now() + 10_000;
    const t0 = events.get(q.key) ?? await Promise.race([new Promise((r) => waiters.set(q.key, r)), sleep(10_000).then(() => undefined)]);
    waiters.delete(q.key);
    if (t0 === undefined) { process.stdout.write(`${JSON.stringify({ id: q.id, error: `no event ${q.key}` })}\n`); continue; }
    let t1; let polls = 0;
    while (now() < deadline) {
      if (q.proxy) {
        polls++;
        if ((await proxyPresent(q.proxy)) === q.present) { t1 = now(); break; }
      } else {
        const hit = nftLines.find((l) => l.line.includes(' D6-FORWARD ') && l.line.includes(`"${q.nft}"`)); // not Docker's own v4 rules
        if (hit) { t1 = hit.t; break; }
        await sleep(0.5);
      }
    }
    process.stdout.write(`${JSON.stringify(t1 === undefined ? { id: q.id, error: `timed out: ${q.key}` } : { id: q.id, ms: t1 - t0, polls })}\n`);
  }
  nft.kill();
  process.exit(0);
}

if (args[0] === '--watch') await watch(args[1]);

// ---------------------------------------------------------------- the benchmark
const dockerVersion = opt('docker', '20');
const firewallBackend = opt('firewall-backend', undefined);
const scales = opt('scales', '10,100,1000,5000').split(',').map(Number);
const runs = Number(opt('runs', '5'));
const nEvents = Number(opt('events', '100'));
const nNetEvents = Number(opt('net-events', '30'));
const budgetS = Number(opt('create-budget', '600'));
const windowN = Number(opt('window', '4'));
const REPO = join(import.meta.dirname, '..');
const CLI = join(REPO, 'dist', 'docker-ipv6');
const name = `bagent-${randomBytes(3).toString('hex')}`;
const children = [];

function run(argv, env = process.env, okCodes = [0], input) {
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', maxBuffer: 256 << 20, input });
  if (!okCodes.includes(r.status)) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const pct = (xs, p) => { const s = sorted(xs); return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]; };
const summary = (xs) => ({ median: pct(xs, 50), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });
const note = (s) => process.stderr.write(`${s}\n`);

const result = { at: new Date().toISOString(), docker: dockerVersion, firewallBackend, runs, figures: {}, scales: [], skipped: [] };
let rec;
try {
  rec = JSON.parse(run([CLI, 'lab', 'up', name, '--json', '--docker', dockerVersion, ...(firewallBackend ? ['--firewall-backend', firewallBackend] : [])]));
  run([CLI, 'lab', 'exec', name, '--', 'true']);
  result.docker = rec.dockerd.version ?? dockerVersion;
  const socket = rec.dockerd.socket;
  const env = labToolEnv(rec, CLI);
  const inHost = (argv) => ['nsenter', `--net=/var/run/netns/${rec.namespaces.host}`, '--', ...argv];
  const statusFile = join(rec.toolRoot, 'var/lib/docker-ipv6/agent.json');
  const agentStatus = () => { try { return JSON.parse(readFileSync(statusFile, 'utf8')); } catch { return undefined; } };
  const waitFor = async (what, fn, ms = 120_000) => { const end = Date.now() + ms; for (;;) { const v = fn(); if (v) return v; if (Date.now() > end) throw new Error(`timed out waiting for ${what}`); await sleep(20); } };

  async function startAgent() {
    const log = openSync(join(rec.dir, 'bench-agent.log'), 'a');
    const child = spawn(inHost([CLI, 'agent', '--interval', '30s'])[0], inHost([CLI, 'agent', '--interval', '30s']).slice(1), { env, detached: true, stdio: ['ignore', log, log] });
    children.push(child);
    const exited = new Promise((r) => child.on('exit', r));
    await waitFor('the agent\'s first pass', () => { const s = agentStatus(); return s?.pid === child.pid && s.lastReconcile; });
    return { pid: child.pid, stop: async () => { process.kill(child.pid, 'SIGTERM'); await exited; } };
  }

  async function startWatcher() {
    const child = spawn(inHost([process.execPath, join(REPO, 'scripts/bench-agent.mjs'), '--watch', socket])[0], inHost([process.execPath, join(REPO, 'scripts/bench-agent.mjs'), '--watch', socket]).slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    const pending = new Map();
    let ready;
    const isReady = new Promise((r) => { ready = r; });
    createInterface({ input: child.stdout }).on('line', (l) => { const m = JSON.parse(l); if (m.ready) ready(); else pending.get(m.id)?.(m); });
    await isReady;
    await sleep(300); // the event subscription and nft monitor are up
    let n = 0;
    return {
      /** asks before the action, so the watcher is polling from the event's arrival */
      expect(q) { const id = ++n; const p = new Promise((r) => pending.set(id, r)); child.stdin.write(`${JSON.stringify({ ...q, id })}\n`); return p; },
      stop() { child.stdin.end(); },
    };
  }

  async function anchorCreate(k = runs) {
    const ms = [];
    for (let i = 0; i < k; i++) {
      const t0 = now();
      run(inHost(['docker', 'network', 'create', '--ipv6', '--subnet', '2001:db8:1:0:8f00::/80', `anchor${i}`]), env);
      ms.push(now() - t0);
      run(inHost(['docker', 'network', 'rm', `anchor${i}`]), env);
    }
    return summary(ms);
  }

  // ---- routed: network create -> its rules in our chain (watched with nft monitor)
  note('routed mode: network create -> rules...');
  run(inHost([CLI, 'enable', '--yes', '--prefix', '2001:db8:100::/48', '--mode', 'routed']), env);
  let agent = await startAgent();
  let watcher = await startWatcher();
  const netLat = [];
  for (let i = 0; i < nNetEvents; i++) {
    const seen = watcher.expect({ key: `network create r${i}`, nft: `rb${i}` });
    await api(socket, 'POST', '/networks/create', { Name: `r${i}`, EnableIPv6: true, IPAM: { Config: [{ Subnet: `2001:db8:100:${(i + 1).toString(16)}::/64` }] }, Options: { 'com.docker.network.bridge.name': `rb${i}` } });
    const m = await seen;
    if (m.error) throw new Error(m.error);
    netLat.push(m.ms);
  }
  watcher.stop();
  await agent.stop();
  const routedAnchor = await anchorCreate(); // with the agent stopped: it must not slow the anchor down
  for (let i = 0; i < nNetEvents; i++) await api(socket, 'DELETE', `/networks/r${i}`);
  run(inHost([CLI, 'disable', '--yes']), env);
  result.figures.networkCreateToRules = { ...summary(netLat), p50: pct(netLat, 50), p99: pct(netLat, 99), anchor: routedAnchor, mode: 'routed' };

  // ---- ndp: container start -> proxy entry, die -> entry gone (watched with netlink in a tight loop)
  note('ndp mode: container start/die -> proxy entries...');
  run(inHost([CLI, 'enable', '--yes', '--prefix', '2001:db8:1:0:8000::/65', '--mode', 'ndp']), env);
  await api(socket, 'POST', '/networks/create', { Name: 'lat', EnableIPv6: true, IPAM: { Config: [{ Subnet: '2001:db8:1:0:8100::/80' }] } });
  agent = await startAgent();
  watcher = await startWatcher();
  const startLat = []; const dieLat = []; const gwLat = [];
  for (let i = 0; i < nEvents; i++) {
    const addr = `2001:db8:1:0:8100:0:1:${(i + 16).toString(16)}`;
    const up = watcher.expect({ key: `container start b${i}`, proxy: hex6(addr), present: true });
    const c = await api(socket, 'POST', `/containers/create?name=b${i}`, { Image: 'local/busybox:1', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'lat' }, NetworkingConfig: { EndpointsConfig: { lat: { IPAMConfig: { IPv6Address: addr } } } } });
    await api(socket, 'POST', `/containers/${c.Id}/start`);
    const a = await up;
    if (a.error) throw new Error(a.error);
    startLat.push(a.ms);
    const down = watcher.expect({ key: `container die b${i}`, proxy: hex6(addr), present: false });
    await api(socket, 'POST', `/containers/${c.Id}/kill`);
    const b = await down;
    if (b.error) throw new Error(b.error);
    dieLat.push(b.ms);
    await api(socket, 'DELETE', `/containers/${c.Id}?force=1`);
  }
  for (let i = 0; i < nNetEvents; i++) {
    const gw = `2001:db8:1:0:8200:${(i + 1).toString(16)}::1`;
    const seen = watcher.expect({ key: `network create g${i}`, proxy: hex6(gw), present: true });
    await api(socket, 'POST', '/networks/create', { Name: `g${i}`, EnableIPv6: true, IPAM: { Config: [{ Subnet: `2001:db8:1:0:8200:${(i + 1).toString(16)}::/96`, Gateway: gw }] } });
    const m = await seen;
    if (m.error) throw new Error(m.error);
    gwLat.push(m.ms);
  }
  watcher.stop();
  await agent.stop();
  const ndpAnchor = await anchorCreate();
  for (let i = 0; i < nNetEvents; i++) await api(socket, 'DELETE', `/networks/g${i}`);
  await api(socket, 'DELETE', '/networks/lat');
  result.figures.containerStartToProxy = { ...summary(startLat), p50: pct(startLat, 50), p99: pct(startLat, 99), anchor: ndpAnchor, mode: 'ndp' };
  result.figures.containerDieToProxyGone = { ...summary(dieLat), p50: pct(dieLat, 50), p99: pct(dieLat, 99), anchor: ndpAnchor, mode: 'ndp' };
  result.figures.networkCreateToGatewayProxy = { ...summary(gwLat), p50: pct(gwLat, 50), p99: pct(gwLat, 99), anchor: ndpAnchor, mode: 'ndp' };
  // where the fast path's milliseconds went (the agent logs them with every change it makes)
  {
    const phases = {};
    for (const l of readFileSync(join(rec.dir, 'bench-agent.log'), 'utf8').split('\n')) {
      let m; try { m = JSON.parse(l); } catch { continue; }
      if (!m.fast || !m.ms || m.change?.kind !== 'proxy') continue;
      const what = m.change.action === 'add' ? 'add' : 'remove';
      for (const [k, v] of Object.entries({ ...m.ms, ...(m.ex ?? {}) })) ((phases[what] ??= {})[k] ??= []).push(v);
    }
    result.fastPathPhases = Object.fromEntries(Object.entries(phases).map(([w, ks]) => [w, Object.fromEntries(Object.entries(ks).map(([k, xs]) => [k, { p50: pct(xs, 50), p99: pct(xs, 99), max: Math.max(...xs), n: xs.length }]))]));
    note(`  fast path phases (ms): ${JSON.stringify(result.fastPathPhases)}`);
  }

  // ---- scale (ndp: our filter chain plus one proxy entry per network): from scratch = chain flushed, entries removed
  const flush = () => {
    // our chain emptied where it lives (Docker 29's nftables backend: our own nftables table)
    run(inHost(firewallBackend === 'nftables' ? ['/usr/sbin/nft', 'flush', 'chain', 'ip6', 'docker-ipv6', 'D6-FORWARD'] : ['ip6tables', '-F', 'D6-FORWARD']), env);
    const entries = run(inHost(['ip', '-6', 'neigh', 'show', 'proxy']), env).split('\n').filter(Boolean).map((l) => l.split(' '));
    if (entries.length) run(inHost(['ip', '-6', '-batch', '-']), env, [0], entries.map((e) => `neigh del proxy ${e[0]} dev ${e[2]}`).join('\n'));
  };
  let made = 0;
  const createTo = async (n) => {
    const t0 = now();
    const start = made;
    let next = made;
    const worker = async () => { for (;;) { const i = next++; if (i >= n) return; await api(socket, 'POST', '/networks/create', { Name: `s${i}`, EnableIPv6: true, IPAM: { Config: [{ Subnet: `2001:db8:1:0:${(0x9000 + i).toString(16)}::/80` }] } }); } };
    await Promise.all(Array.from({ length: windowN }, worker));
    made = n;
    return (now() - t0) / Math.max(1, n - start);
  };
  let perCreateMs = 0;
  for (const n of scales) {
    if (n > made && perCreateMs && (n - made) * perCreateMs / 1000 > budgetS) {
      result.skipped.push({ networks: n, why: `creating ${n - made} more networks would take ~${Math.round((n - made) * perCreateMs / 1000)} s at ${perCreateMs.toFixed(0)} ms each (budget ${budgetS} s)` });
      note(`skipping ${n}: ${result.skipped.at(-1).why}`);
      continue;
    }
    note(`scale ${n}: creating networks (API, window ${windowN})...`);
    if (n > made) perCreateMs = await createTo(n);
    const anchor = await anchorCreate();
    const wall = []; const pass = []; const spawned = []; let changes = 0;
    for (let r = 0; r < runs; r++) {
      flush();
      const t0 = now();
      const out = JSON.parse(run(inHost([CLI, 'apply', '--json']), env));
      wall.push(now() - t0);
      pass.push(out.durationMs); spawned.push(out.spawned); changes = out.changes.length;
    }
    const idle = JSON.parse(run(inHost([CLI, 'apply', '--json']), env));
    const row = { networks: n, dockerNetworks: idle.networks, createApiMsEach: perCreateMs, anchor, applyWall: summary(wall), pass: summary(pass), spawnedFromScratch: [...new Set(spawned)], changesFromScratch: changes, spawnedIdle: idle.spawned, idleChanges: idle.changes.length };
    {
      flush();
      const ag = await startAgent(); // its first pass is from scratch
      const first = agentStatus().lastReconcile;
      const passes = [first.durationMs];
      // CPU time of each pass (the agent's own and its reaped children's: nft, ip6tables-restore), steadier than
      // wall time on a loaded machine; clock ticks of 10 ms
      const cpuMs = () => { const f = readFileSync(`/proc/${ag.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10; };
      const cpu = [];
      for (let k = 0; k < runs; k++) {
        flush();
        const before = agentStatus().counts.passes;
        const c0 = cpuMs();
        process.kill(ag.pid, 'SIGHUP');
        await waitFor('a pass after SIGHUP', () => agentStatus().counts.passes > before && agentStatus().lastReconcile);
        cpu.push(cpuMs() - c0);
        passes.push(agentStatus().lastReconcile.durationMs);
      }
      const st = readFileSync(`/proc/${ag.pid}/status`, 'utf8');
      const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(st)?.[1]);
      row.agent = { passFromScratch: summary(passes), passCpuMs: summary(cpu), loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number), spawned: agentStatus().lastReconcile.spawned, peakRssMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
      await ag.stop();
    }
    result.scales.push(row);
    note(`  ${JSON.stringify(row)}`);
  }
} finally {
  for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
  spawnSync(CLI, ['lab', 'down', name], { stdio: 'ignore' });
}

// ---------------------------------------------------------------- report
const f = (x) => `${x.toFixed(1)}`;
const ratio = (a, b) => (a / b).toFixed(2);
const lines = [`docker-ipv6 agent benchmark, Docker ${result.docker}${firewallBackend ? ` (${firewallBackend} backend)` : ""}, ${runs} runs per figure (median, min-max); anchor = one \`docker network create\` (CLI) on the same daemon`, ''];
lines.push('| figure | measured | anchor | ratio | target |', '|---|---|---|---|---|');
for (const row of result.scales) {
  const a = row.agent.passFromScratch;
  lines.push(`| agent reconcile from scratch, ${row.networks} networks (running agent, flush + SIGHUP) | ${f(a.median)} ms (${f(a.min)}-${f(a.max)}) | ${f(row.anchor.median)} ms | ${ratio(a.median, row.anchor.median)}x | ${row.networks === 1000 ? '<= 3x' : '-'} |`);
  if (row.agent.passCpuMs) lines.push(`| the same pass, CPU time (agent + its nft / ip6tables processes; load average ${row.agent.loadAverage.join(' ')}) | ${f(row.agent.passCpuMs.median)} ms (${f(row.agent.passCpuMs.min)}-${f(row.agent.passCpuMs.max)}) | - | - | - |`);
  lines.push(`| \`docker ipv6 apply\` from scratch, ${row.networks} networks (its pass, incl. loading modules) | ${f(row.pass.median)} ms (${f(row.pass.min)}-${f(row.pass.max)}) | ${f(row.anchor.median)} ms | ${ratio(row.pass.median, row.anchor.median)}x | - |`);
  lines.push(`| \`docker ipv6 apply\` from scratch, ${row.networks} networks (whole process, node start-up included) | ${f(row.applyWall.median)} ms (${f(row.applyWall.min)}-${f(row.applyWall.max)}) | ${f(row.anchor.median)} ms | ${ratio(row.applyWall.median, row.anchor.median)}x | - |`);
}
const F = result.figures;
for (const [k, label] of [['containerStartToProxy', 'container start -> proxy entry (ndp)'], ['containerDieToProxyGone', 'container die -> proxy entry gone (ndp)'], ['networkCreateToRules', 'network create -> rules (routed)'], ['networkCreateToGatewayProxy', 'network create -> gateway proxy (ndp)']]) {
  const x = F[k];
  if (!x) continue;
  lines.push(`| ${label}, p50 / p99 over ${x.n} | ${f(x.p50)} / ${f(x.p99)} ms (max ${f(x.max)}) | ${f(x.anchor.median)} ms | p99 ${ratio(x.p99, x.anchor.median)}x | <= 0.15x |`);
}
lines.push(`| processes per reconcile from scratch (10/100/1000/...) | ${result.scales.map((r) => `${r.networks}: ${r.spawnedFromScratch.join('/')} (agent ${r.agent.spawned})`).join(', ')} | - | - | constant |`);
lines.push(`| processes per idle reconcile | ${result.scales.map((r) => `${r.networks}: ${r.spawnedIdle}`).join(', ')} | - | - | constant |`);
lines.push(`| agent peak RSS (VmHWM) | ${result.scales.map((r) => `${r.networks}: ${f(r.agent.peakRssMiB)} MiB`).join(', ')} | - | - | - |`);
if (result.scales.length > 1) {
  lines.push('', `growth of the agent's pass from scratch: ${result.scales.map((r) => `${r.networks} nets ${f(r.agent.passFromScratch.median)} ms`).join(' -> ')}`);
  const [a, b] = [result.scales[0], result.scales.at(-1)];
  lines.push(`marginal cost: ${((b.agent.passFromScratch.median - a.agent.passFromScratch.median) / (b.networks - a.networks) * 1000).toFixed(0)} us per network (${a.networks} -> ${b.networks}); anchor grew ${f(a.anchor.median)} -> ${f(b.anchor.median)} ms`);
}
if (result.fastPathPhases) {
  lines.push('', 'where the fast path\'s milliseconds go (the agent logs them with each change; p50 / p99; netlink first, then the batch, each from the start):');
  for (const [what, ks] of Object.entries(result.fastPathPhases)) lines.push(`  proxy ${what}: ${Object.entries(ks).map(([k, v]) => `${k} ${f(v.p50)} / ${f(v.p99)}`).join(', ')}`);
}
for (const s of result.skipped) lines.push(`skipped ${s.networks}: ${s.why}`);
console.log(lines.join('\n'));
mkdirSync(join(REPO, 'bench/results'), { recursive: true });
const file = join(REPO, 'bench/results', `agent-${result.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ ...result, table: lines }, null, 2)}\n`);
console.log(`\nwritten ${file}`);
