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
  /** the container the agent runs in (a Swarm task), its id as its hostname: its pid is the container's own */
  container?: string;
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

/**
 * Running: the agent has not recorded a stop, and its pid exists with the same start time, or (in a container, whose
 * pids are its own) that container runs. `containers`: the host's running containers' ids, when Docker answered.
 */
export function agentRunning(s: AgentStatus | undefined, o: { procRoot?: string; runningContainers?: readonly string[] } = {}): boolean {
  if (!s || s.stopped) return false;
  if (s.container) return !!o.runningContainers?.some((id) => id.startsWith(s.container!));
  const st = processStartTime(s.pid, o.procRoot);
  return st !== undefined && (s.startTime == null || st === s.startTime);
}

/** `running`: from agentRunning where the status file was read (this host, or the probe on another) */
export function agentJson(s: AgentStatus | undefined, running: boolean): unknown {
  if (!s) return { running: false, seen: false };
  return { running, container: s.container ?? null, pid: s.pid, started: s.started, stopped: s.stopped ?? null, lastReconcile: s.lastReconcile ?? null, lastError: s.lastError ?? null, counts: s.counts };
}

export function agentLine(s: AgentStatus | undefined, running: boolean): string {
  if (!s) return 'not running (never started on this host)';
  const last = s.lastReconcile ? `last reconcile ${s.lastReconcile.at} (${s.lastReconcile.changes} change(s))` : 'no reconcile yet';
  const err = s.lastError ? `; last error ${s.lastError.at}: ${s.lastError.message}` : '';
  const where = s.container ? `container ${s.container}` : `pid ${s.pid}`;
  if (running) return `running (${where}, since ${s.started}), ${last}${err}`;
  return `not running${s.stopped ? ` (stopped ${s.stopped})` : ` (${where} is gone)`}, ${last}${err}`;
}
