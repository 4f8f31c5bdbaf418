// Containers across a dockerd restart: the ones that ran before it are started again (never one that was
// stopped before), and how long each was down, from Docker's own timestamps (State.FinishedAt of the stop the
// restart made, State.StartedAt of the start after it). Used by the restart steps and by the restart undo kind.
import type { HostAdapters } from '../host/interfaces';

export interface Downtime {
  id: string;
  name: string;
  /** started again by us; restarted by Docker itself (a restart policy); kept running (live-restore); gone; not started */
  how: 'started again' | 'restarted by Docker' | 'kept running' | 'gone' | 'not started';
  /** how long it was not running (undefined: not known) */
  downMs?: number;
  error?: string;
}

const formatSeconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const t = (s: unknown) => (typeof s === 'string' && !s.startsWith('0001-') ? Date.parse(s) : Number.NaN);

/** `since`: when the restart began (ms since the epoch); a container started before it was never stopped by it. */
export async function startAgain(host: Pick<HostAdapters, 'docker'>, ids: readonly string[], progress?: (s: string) => void, since?: number): Promise<Downtime[]> {
  if (!ids.length) return [];
  const docker = await host.docker.connect();
  const all = await docker.listContainers({ all: true });
  const out: Downtime[] = [];
  for (const id of ids) {
    const c = all.find((x) => x.Id === id);
    const name = c?.Names?.[0]?.replace(/^\//, '') ?? id.slice(0, 12);
    if (!c) { out.push({ id, name, how: 'gone' }); continue; }
    let how: Downtime['how'] = 'restarted by Docker';
    if (c.State !== 'running') {
      progress?.(`starting container ${name} again (it ran before the restart; it has no restart policy)`);
      try {
        await docker.getContainer(id).start();
        how = 'started again';
      } catch (e) {
        out.push({ id, name, how: 'not started', error: (e as Error).message.split('\n')[0] });
        continue;
      }
    }
    const st = ((await docker.getContainer(id).inspect().catch(() => undefined)) as { State?: { StartedAt?: string; FinishedAt?: string } } | undefined)?.State;
    const started = t(st?.StartedAt);
    const finished = t(st?.FinishedAt);
    if (how === 'restarted by Docker' && Number.isFinite(started) && since !== undefined && started < since) how = 'kept running';
    const downMs = how === 'kept running' ? 0 : Number.isFinite(started) && Number.isFinite(finished) && started >= finished ? started - finished
      : since !== undefined ? Date.now() - since : undefined;
    out.push({ id, name, how, ...(downMs === undefined ? {} : { downMs }) });
  }
  return out;
}

/** One line for people: which containers were down and how long, and what to run for one that did not start. */
export function downtimeText(d: readonly Downtime[]): string | undefined {
  if (!d.length) return undefined;
  const down = d.filter((x) => x.how !== 'gone' && x.how !== 'not started' && x.how !== 'kept running');
  const parts: string[] = [];
  if (down.length) parts.push(`containers down during the restart: ${down.map((x) => `${x.name} ${x.downMs === undefined ? '(time unknown)' : formatSeconds(x.downMs)}${x.how === 'restarted by Docker' ? ' (restarted by Docker)' : ''}`).join(', ')}`);
  const kept = d.filter((x) => x.how === 'kept running');
  if (kept.length) parts.push(`kept running (live-restore): ${kept.map((x) => x.name).join(', ')}`);
  const failed = d.filter((x) => x.how === 'not started');
  if (failed.length) parts.push(`NOT started again: ${failed.map((x) => `${x.name} (${x.error}; run: docker start ${x.name})`).join(', ')}`);
  const gone = d.filter((x) => x.how === 'gone');
  if (gone.length) parts.push(`removed meanwhile: ${gone.map((x) => x.name).join(', ')}`);
  return parts.join('; ');
}
