// A lost state file must leave the host closed: when the state says nothing (gone, or unreadable) but
// daemon.json still runs Docker with IPv6 and its own IPv6 filter off, as enable writes for routed and ndp
// modes, nothing but our filter stood between the world and every container. Passes then keep the closed
// skeleton and refuse (the boot unit fails, so Docker is held), naming the way back.
import { PreconditionError } from '../errors';
import type { ToolState } from '../model/state';
import { ownedFrom } from './owned';

/** daemon.json turns IPv6 on with Docker's IPv6 filter off (`"ip6tables": false`, which only routed/ndp enable writes). */
export function dockerFilterOff(config: Record<string, unknown> | undefined): boolean {
  return !!config && config.ipv6 === true && config.ip6tables === false;
}

export interface StateRead {
  state?: ToolState;
  /** set when the state says nothing but daemon.json runs Docker unfiltered: the error every pass reports */
  lost?: PreconditionError;
  /** the state file could not be read (and nothing in daemon.json made that a lost-state case) */
  error?: unknown;
}

/** The state, or why its absence (or unreadable content) must keep the host closed. */
export interface StateSources {
  readState(): Promise<ToolState | undefined>;
  daemonConfig?(): Promise<Record<string, unknown> | undefined>;
  stateFile?: string;
}

export async function readStateOrLost(deps: StateSources): Promise<StateRead> {
  let state: ToolState | undefined;
  let error: unknown;
  try { state = await deps.readState(); } catch (e) { error = e; }
  if (ownedFrom(state)) return { state };
  const config = await deps.daemonConfig?.().catch(() => undefined);
  if (!dockerFilterOff(config)) return error ? { error } : { state };
  const file = deps.stateFile ?? 'the state file';
  const why = error ? `is unreadable (${(error as Error)?.message ?? String(error)})` : state ? 'says docker ipv6 is not enabled' : 'is missing';
  return {
    state,
    lost: new PreconditionError(
      `${file} ${why}, but daemon.json runs Docker with IPv6 on and its own IPv6 filter off ("ip6tables": false, as docker ipv6 enable writes in routed, ndp and npt modes): every container would be open. docker ipv6 keeps every Docker bridge closed (docker0, br-*: nothing in, nothing out) and changes nothing else until the state is back`,
      'put the state file back from a backup, or rebuild it from daemon.json: docker ipv6 recover --rebuild-state (npt mode: with --outside-prefix P; add --dry-run to see it first); then docker ipv6 apply (the boot unit does the same at the next start)',
    ),
  };
}
