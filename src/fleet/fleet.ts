// The fleet read-out: status or doctor over several Docker endpoints (repeated --context, --all-contexts), read in
// parallel with a bound, one table with a row per host (a host that fails is a row with its error), or one JSON
// document; the exit status is the worst host's. No orchestration: the endpoints are the docker CLI's contexts.
import type { RunContext } from '../cli/context';
import { contextEndpoint, listContexts } from '../cli/endpoint';
import { ExitCode, isToolError } from '../errors';
import type { Endpoint } from '../model/endpoint';
import { renderTable } from '../util/table';
import { inWindow } from '../util/window';

/** Hosts read at once: each read is a few API calls and one short container; more mostly queues on a small machine. */
export const FLEET_WINDOW = 4;

export interface FleetTarget { name: string; endpoint?: Endpoint; error?: HostError }
export interface HostError { message: string; hint?: string; exitCode: number }

export interface HostRow<T> { name: string; endpoint?: string; exitCode: number; value?: T; error?: HostError }

/** Whether this run reads several hosts; false: the usual single-host command. */
export function isFleet(ctx: RunContext, all: boolean): boolean {
  return all || ctx.contexts.length > 1;
}

function asHostError(e: unknown): HostError {
  if (isToolError(e)) return { message: e.message, hint: e.hint, exitCode: e.exitCode };
  return { message: (e as Error)?.message ?? String(e), exitCode: ExitCode.failure };
}

/** The hosts to read: the contexts given (each once, in order), or every context the docker CLI knows. */
export function fleetTargets(ctx: RunContext, all: boolean): FleetTarget[] {
  const names = all ? listContexts(ctx.dockerGlobals, ctx.env) : [...new Set(ctx.contexts)];
  return names.map((name) => {
    try {
      return { name, endpoint: contextEndpoint(name, ctx.dockerGlobals, ctx.env) };
    } catch (e) {
      return { name, error: asHostError(e) };
    }
  });
}

/** Reads every host with `read` (at most FLEET_WINDOW at once); a host whose read throws is a row with that error. */
export async function readFleet<T>(ctx: RunContext, targets: readonly FleetTarget[], read: (host: RunContext) => Promise<{ value: T; exitCode: number }>): Promise<Array<HostRow<T>>> {
  const rows: Array<HostRow<T>> = targets.map((t) => ({ name: t.name, endpoint: t.endpoint?.host, exitCode: t.error?.exitCode ?? 0, error: t.error }));
  const todo = targets.map((t, i) => ({ t, i })).filter((x) => x.t.endpoint);
  await inWindow(todo, FLEET_WINDOW, async ({ t, i }) => {
    try {
      const r = await read(ctx.forEndpoint(t.endpoint!));
      rows[i] = { ...rows[i], value: r.value, exitCode: r.exitCode };
    } catch (e) {
      const error = asHostError(e);
      rows[i] = { ...rows[i], error, exitCode: error.exitCode };
    }
  });
  return rows;
}

/** The worst host's exit status: the highest code (0 ok < 1 failed < 2 could not run < 3 precondition ...). */
export function worstExit(rows: ReadonlyArray<{ exitCode: number }>): number {
  return rows.reduce((m, r) => Math.max(m, r.exitCode), 0);
}

/** One table: the columns the caller computes per host, and an error column for hosts that could not be read. */
export function fleetTable<T>(rows: ReadonlyArray<HostRow<T>>, header: string[], cells: (v: T) => string[]): string {
  const body = rows.map((r) => {
    if (!r.value) return [r.name, ...header.slice(1, -1).map(() => '-'), `error: ${r.error?.message ?? 'not read'}${r.error?.hint ? ` (${r.error.hint})` : ''}`];
    return [r.name, ...cells(r.value)];
  });
  return `${renderTable(header, body)}\n`;
}
