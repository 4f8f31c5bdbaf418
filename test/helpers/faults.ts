// Fault-suite registry: each scenario states its fault, runs on a shared lab, and is recorded as held or
// not, with the files it had to keep byte-identical and whether Docker answered afterwards.
//
//   const suite = faultSuite(test, { group: 'restart', lab: { docker: '28' } });
//   suite.scenario('daemon fails to start', { fault: '...', keep: (lab) => [lab.record.dockerd.configFile] }, async (t, lab) => {...});
// Records go to one JSON-lines file per ava run (keyed by the ava main process), so every fault file
// adds to the same totals; each file prints the running line at its end and the last one the total:
//   fault suite (6/6 files): 41 scenarios held / 41 run, files lost 0, times Docker was left down 0
// `npx tsx test/helpers/faults.ts [LOG]` prints the line for the newest (or the given) log.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext, TestFn } from 'ava';
import { labExecEnv } from '../../src/lab/env';
import { withLab, withoutNode, CLI, REPO, type Lab, type LabOptions, type Result } from './lab';

export const FAULT_LOG_DIR = '/tmp/docker-ipv6-faults';

export interface ScenarioRecord {
  kind: 'scenario';
  file: string;
  group: string;
  title: string;
  fault: string;
  held: boolean;
  filesLost: string[];
  dockerDown: boolean;
  /** what an attacker upstream could reach that was not published (issue 12); absent in older logs */
  exposures?: string[];
}
interface FileDone { kind: 'file-done'; file: string }
type LogLine = ScenarioRecord | FileDone;

export function faultLogPath(): string {
  // workers are forked by ava's main process: its pid names the run
  return process.env.DOCKER_IPV6_FAULTS_LOG ?? join(FAULT_LOG_DIR, `run-${process.ppid}.jsonl`);
}

function append(line: LogLine): void {
  const path = faultLogPath();
  mkdirSync(join(path, '..'), { recursive: true });
  appendFileSync(path, `${JSON.stringify(line)}\n`);
}

/** Every fault file of the suite (integration and unit), to tell the last one of a run. */
export function faultFiles(): string[] {
  const out: string[] = [];
  const integ = join(REPO, 'test/integration');
  for (const f of readdirSync(integ)) if (/^faults-.*\.test\.ts$/.test(f)) out.push(`test/integration/${f}`);
  const walk = (dir: string, rel: string) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p, `${rel}/${f}`);
      else if (f.endsWith('.test.ts')) out.push(`${rel}/${f}`);
    }
  };
  walk(join(REPO, 'test/unit/faults'), 'test/unit/faults');
  return out.sort();
}

export interface Summary { held: number; run: number; filesLost: number; dockerDown: number; exposures: number; filesDone: number; filesTotal: number; notHeld: string[] }

export function summarise(lines: LogLine[], files = faultFiles()): Summary {
  const sc = lines.filter((l): l is ScenarioRecord => l.kind === 'scenario');
  const done = new Set(lines.filter((l) => l.kind === 'file-done').map((l) => l.file));
  return {
    held: sc.filter((s) => s.held).length,
    run: sc.length,
    filesLost: sc.reduce((n, s) => n + s.filesLost.length, 0),
    dockerDown: sc.filter((s) => s.dockerDown).length,
    exposures: sc.reduce((n, s) => n + (s.exposures?.length ?? 0), 0),
    filesDone: done.size,
    filesTotal: files.length,
    notHeld: sc.filter((s) => !s.held).map((s) => `${s.group}: ${s.title}`),
  };
}

export function summaryLine(s: Summary): string {
  return `fault suite (${s.filesDone}/${s.filesTotal} files): ${s.held} scenarios held / ${s.run} scenarios run, files lost ${s.filesLost}, times Docker was left down ${s.dockerDown}, exposures found ${s.exposures}`;
}

export function readLog(path = faultLogPath()): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
}

async function dockerAnswers(lab: Lab, withinMs: number): Promise<boolean> {
  const { ping } = await import('../../src/lab/api');
  const end = Date.now() + withinMs;
  do {
    if (await ping(lab.socket, 1000)) return true;
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() < end);
  return false;
}

export interface ScenarioOptions {
  /** The fault, in one sentence (recorded with the outcome). */
  fault: string;
  /** Files that must be byte-identical (and present) when the scenario ends: each difference is a file lost. */
  keep?: (lab: Lab) => string[];
}

export interface FaultSuite {
  /** The shared lab (set once the before hook ran). */
  readonly lab: Lab;
  /** Records that something not published was reachable from outside (the scenario then does not hold). */
  exposed(t: ExecutionContext, what: string): void;
  scenario(title: string, opts: ScenarioOptions, fn: (t: ExecutionContext, lab: Lab) => Promise<void>): void;
}

/**
 * Registers the suite's hooks on this file's ava `test`: one lab for all its scenarios (serial), checks
 * after each scenario, the summary line at the end. Without `lab` the scenarios run lab-free.
 */
export function faultSuite(test: TestFn, opts: { group: string; file: string; lab?: LabOptions & { prefix: string } }): FaultSuite {
  let lab: Lab | undefined;
  const downs: Array<() => Promise<void>> = [];
  const kept = new Map<string, Array<{ path: string; bytes: Buffer | null }>>();
  const faults = new Map<string, string>();
  const exposures = new Map<string, string[]>();
  if (opts.lab) {
    test.before(async () => {
      const fakeT = { teardown: (fn: () => Promise<void>) => downs.push(fn) } as unknown as ExecutionContext;
      lab = await withLab(fakeT, opts.lab!, async (l) => l);
    });
  }
  test.afterEach.always(async (t) => {
    const title = t.title.replace(/^afterEach\.always hook for /, '');
    const snap = kept.get(title) ?? [];
    const lost: string[] = [];
    for (const k of snap) {
      let now: Buffer | null = null;
      try { now = readFileSync(k.path); } catch { /* missing */ }
      if (k.bytes === null ? now !== null : now === null || !now.equals(k.bytes)) lost.push(k.path);
    }
    let dockerDown = false;
    if (lab) {
      dockerDown = !(await dockerAnswers(lab, 15_000));
      // put the lab back so the next scenario starts from a running daemon
      if (dockerDown) await lab.lab(['restart']);
    }
    if (lost.length) t.log(`files lost: ${lost.join(', ')}`);
    if (dockerDown) t.log('Docker was left down');
    const exp = exposures.get(title) ?? [];
    if (exp.length) t.log(`exposures: ${exp.join('; ')}`);
    append({ kind: 'scenario', file: opts.file, group: opts.group, title, fault: faults.get(title) ?? '', held: t.passed && !lost.length && !dockerDown && !exp.length, filesLost: lost, dockerDown, exposures: exp });
  });
  test.after.always(async () => {
    for (const d of downs) await d().catch((e) => process.stderr.write(`${(e as Error).message}\n`));
    append({ kind: 'file-done', file: opts.file });
    const s = summarise(readLog());
    process.stderr.write(`${summaryLine(s)}\n`);
    if (s.notHeld.length) process.stderr.write(`  not held: ${s.notHeld.join('; ')}\n`);
  });
  return {
    get lab(): Lab {
      if (!lab) throw new Error('the fault lab is not up');
      return lab;
    },
    exposed(t, what) {
      exposures.set(t.title, [...(exposures.get(t.title) ?? []), what]);
      t.fail(`exposed: ${what}`);
    },
    scenario(title, o, fn) {
      const run = async (t: ExecutionContext) => {
        faults.set(t.title, o.fault);
        t.log(`fault: ${o.fault}`);
        const paths = o.keep && lab ? o.keep(lab) : [];
        kept.set(t.title, paths.map((p) => { try { return { path: p, bytes: readFileSync(p) }; } catch { return { path: p, bytes: null }; } }));
        await fn(t, lab as Lab);
      };
      if (opts.lab) test.serial(title, run);
      else test(title, run);
    },
  };
}

if (require.main === module) {
  let path = process.argv[2];
  if (!path) {
    const logs = existsSync(FAULT_LOG_DIR) ? readdirSync(FAULT_LOG_DIR).map((f) => join(FAULT_LOG_DIR, f)) : [];
    path = logs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  }
  if (!path) { console.log('no fault-suite log yet: run the fault tests first'); process.exit(1); }
  const s = summarise(readLog(path));
  console.log(summaryLine(s));
  for (const n of s.notHeld) console.log(`  not held: ${n}`);
}

// ---- small probes the fault files share ----

/** The lab's dockerd pid (from its pidfile). */
export function dockerdPid(lab: Lab): string {
  return readFileSync(lab.record.dockerd.pidFile, 'utf8').trim();
}

/** ip6tables-save of the lab host without the timestamp comments. */
export async function rules(lab: Lab): Promise<string> {
  const r = await lab.host(['ip6tables-save']);
  return r.stdout.split('\n').filter((l) => !l.startsWith('#')).join('\n');
}

export async function sysctl(lab: Lab, key: string): Promise<string> {
  const r = await lab.host(['cat', `/proc/sys/${key.replace(/\./g, '/')}`]);
  return r.stdout.trim();
}

/** The tool's own files in the lab's root: journal, lock and state must not be left behind by a refusal. */
export function toolFile(lab: Lab, name: 'journal.json' | 'lock' | 'state.json'): string {
  return join(lab.record.toolRoot, 'var/lib/docker-ipv6', name);
}

/** Everything a refusal must leave as it was: daemon.json bytes, dockerd pid, ip6tables, forwarding, tool files. */
export async function hostState(lab: Lab, configFile = lab.record.dockerd.configFile): Promise<Record<string, unknown>> {
  return {
    config: existsSync(configFile) ? readFileSync(configFile, 'utf8') : null,
    pid: dockerdPid(lab),
    rules: await rules(lab),
    forwarding: await sysctl(lab, 'net.ipv6.conf.all.forwarding'),
    journal: existsSync(toolFile(lab, 'journal.json')),
    lock: existsSync(toolFile(lab, 'lock')),
    state: existsSync(toolFile(lab, 'state.json')) ? readFileSync(toolFile(lab, 'state.json'), 'utf8') : null,
  };
}

export async function ok(lab: Lab, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await lab.exec(args, { env });
  if (r.code !== 0) throw new Error(`docker-ipv6 ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/**
 * A --restart-command for fault scenarios: its first call runs `first` (shell), every later call is the
 * lab's real restart (so the rollback's restart works). STOP_DOCKERD is a snippet that stops the lab's
 * dockerd and waits for it to exit, as the stop half of `systemctl restart docker` would.
 */
export function restartWrapper(lab: Lab, name: string, first: string): string {
  const path = join(lab.dir, `${name}.sh`);
  const count = join(lab.dir, `${name}.count`);
  writeFileSync(path, [
    '#!/bin/sh',
    `n=$(cat ${count} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${count}`,
    `if [ "$n" -gt 1 ]; then exec ${CLI} lab restart ${lab.name}; fi`,
    first,
    '',
  ].join('\n'), { mode: 0o755 });
  return path;
}

export function stopDockerdSnippet(lab: Lab): string {
  return `pid=$(cat ${lab.record.dockerd.pidFile}); kill $pid; i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done`;
}

/** The tool in the lab host, in its own session (process group = its pid), to be signalled as a group. */
export function spawnTool(lab: Lab, args: readonly string[], env: NodeJS.ProcessEnv = {}): { pid: number; done: Promise<Result> } {
  const child = spawn('nsenter', [`--net=/var/run/netns/${lab.record.namespaces.host}`, CLI, ...args], {
    detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: withoutNode({ ...labExecEnv(lab.record, process.env, CLI), ...env }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const done = new Promise<Result>((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 128), stdout, stderr })));
  return { pid: child.pid!, done };
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
