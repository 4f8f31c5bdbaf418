// <state dir>/agent.json: what the running agent last did, read by status and doctor, written by the agent (no heavy imports here).
import { readFile } from 'node:fs/promises';
import { processStartTime } from '../transaction/lock';

export interface AgentStatus {
  pid: number;
  startTime?: string | null;
  started: string;
  stopped?: string;
  intervalMs: number;
  lastReconcile?: { at: string; durationMs: number; changes: number; spawned: number; reasons: string[]; /** times the pass observed: more than 1 when the fast path changed the host meanwhile */ observations?: number };
  lastError?: { at: string; message: string } | null;
  counts: { passes: number; changes: number; errors: number; events: number; reconnects: number };
}

export function agentStatusPath(stateDir: string): string {
  return `${stateDir}/agent.json`;
}

export async function readAgentStatus(stateDir: string): Promise<AgentStatus | undefined> {
  try {
    return JSON.parse(await readFile(agentStatusPath(stateDir), 'utf8')) as AgentStatus;
  } catch {
    return undefined;
  }
}

/** Running: the pid exists with the same start time and the agent has not recorded a stop. */
export function agentRunning(s: AgentStatus | undefined): boolean {
  if (!s || s.stopped) return false;
  const st = processStartTime(s.pid);
  return st !== undefined && (s.startTime == null || st === s.startTime);
}

export function agentJson(s: AgentStatus | undefined): unknown {
  if (!s) return { running: false, seen: false };
  return { running: agentRunning(s), pid: s.pid, started: s.started, stopped: s.stopped ?? null, lastReconcile: s.lastReconcile ?? null, lastError: s.lastError ?? null, counts: s.counts };
}

export function agentLine(s: AgentStatus | undefined): string {
  if (!s) return 'not running (never started on this host)';
  const last = s.lastReconcile ? `last reconcile ${s.lastReconcile.at} (${s.lastReconcile.changes} change(s))` : 'no reconcile yet';
  const err = s.lastError ? `; last error ${s.lastError.at}: ${s.lastError.message}` : '';
  if (agentRunning(s)) return `running (pid ${s.pid}, since ${s.started}), ${last}${err}`;
  return `not running${s.stopped ? ` (stopped ${s.stopped})` : ` (pid ${s.pid} is gone)`}, ${last}${err}`;
}
