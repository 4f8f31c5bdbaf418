// Helpers for the agent's integration tests: a detached agent inside a lab (its own process group,
// killed in teardown), polling with a deadline, and readers for rules, proxies, routes and status.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { labExecEnv } from '../../src/lab/env';
import { inNetns } from '../../src/lab/topology';
import { nftBinary } from '../../src/host/nftables';
import { CLI, type Lab } from '../helpers/lab';

export interface Agent {
  pid: number;
  lines: string[];
  logs(): Array<Record<string, unknown>>;
  signal(sig: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

export function startAgent(t: ExecutionContext, lab: Lab, args: string[] = []): Agent {
  const child = spawn(inNetns(lab.record.namespaces.host, [CLI, 'agent', ...args])[0],
    inNetns(lab.record.namespaces.host, [CLI, 'agent', ...args]).slice(1),
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: labExecEnv(lab.record, process.env, CLI) });
  const lines: string[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { buf += d; const parts = buf.split('\n'); buf = parts.pop()!; lines.push(...parts); });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  let alive = true;
  void exited.then(() => { alive = false; if (err.trim()) t.log(`agent stderr: ${err.trim()}`); });
  const pid = child.pid!;
  t.teardown(() => { if (alive) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } } return exited.then(() => undefined); });
  return {
    pid, lines, exited,
    logs: () => lines.map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return { msg: l }; } }),
    signal: (sig) => process.kill(-pid, sig),
  };
}

export async function poll<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, stepMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function agentStatus(lab: Lab): { pid: number; stopped?: string; lastReconcile?: { at: string; spawned: number; changes: number }; counts: { passes: number; reconnects: number } } | undefined {
  try { return JSON.parse(readFileSync(`${lab.record.toolRoot}/var/lib/docker-ipv6/agent.json`, 'utf8')); } catch { return undefined; }
}

export function toolState(lab: Lab): { proxies?: Array<{ address: string }>; routes?: string[] } {
  return JSON.parse(readFileSync(`${lab.record.toolRoot}/var/lib/docker-ipv6/state.json`, 'utf8'));
}

/** ip6tables-save without the comment lines and counters (they change on their own). */
export async function saveRules(lab: Lab): Promise<string> {
  const r = await lab.host(['ip6tables-save']);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '[0:0]')).join('\n');
}

/** The whole IPv6 firewall as text: ip6tables-save (as saveRules) and `nft -s list ruleset` (no counters, no handles). */
export async function firewallText(lab: Lab): Promise<string> {
  const nft = await lab.host([nftBinary(), '-s', 'list', 'ruleset']);
  if (nft.code !== 0) throw new Error(nft.stderr);
  return `${await saveRules(lab)}\n== nft\n${nft.stdout}`;
}

/** Docker's IPv6 table under its nftables backend (`nft -s list table ip6 docker-bridges`), '' when absent. */
export async function dockerNftTable(lab: Lab): Promise<string> {
  const r = await lab.host([nftBinary(), '-s', 'list', 'table', 'ip6', 'docker-bridges']);
  return r.code === 0 ? r.stdout : '';
}

/** Our table in nftables (`nft -s list table ip6 docker-ipv6`), '' when it does not exist. */
export async function ourNftTable(lab: Lab): Promise<string> {
  const r = await lab.host([nftBinary(), '-s', 'list', 'table', 'ip6', 'docker-ipv6']);
  return r.code === 0 ? r.stdout : '';
}

export async function proxies(lab: Lab): Promise<string[]> {
  const r = await lab.host(['ip', '-6', 'neigh', 'show', 'proxy']);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[0]).sort();
}

export async function routes(lab: Lab): Promise<string> {
  return (await lab.host(['ip', '-6', 'route', 'show', 'table', 'main'])).stdout;
}

export async function must(r: Promise<{ code: number; stdout: string; stderr: string }>, what: string): Promise<string> {
  const x = await r;
  if (x.code !== 0) throw new Error(`${what} failed (${x.code}): ${x.stderr}${x.stdout}`);
  return x.stdout.trim();
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** Our rules must each appear once; foreign rules must be exactly as placed. */
export function ourRuleLines(save: string): string[] {
  return save.split('\n').filter((l) => l.includes('docker-ipv6') || /^-A D6-/.test(l));
}
