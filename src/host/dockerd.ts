// The service adapter: restarts (or starts) dockerd with --restart-command and waits until it answers again;
// asks the dockerd binary its version and whether it would start with a daemon.json text.
import { joinCommand } from '../util/command';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateWithDockerd, type DockerdValidation } from '../daemon/validate';
import type { Endpoint } from '../model/endpoint';
import { dockerClient } from './docker-api';
import { describeDockerError } from '../model/endpoint';
import { CommandError, ConfigError, PreconditionError, isToolError } from '../errors';
import { run } from '../util/exec';

/** dockerd restarts took ~1.5 s with a few networks and ~27 s with 103 (LAB-NOTES): scale the wait. */
export function restartDeadlineMs(networks: number): number {
  return 60_000 + 500 * networks;
}

/**
 * A pause that an abort ends early. The signal is the transaction's, shared by every poll of every step: the
 * listener goes when the timer fires, or one per poll piles up on it (Node warns past 10).
 */
const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const onAbort = () => { clearTimeout(t); resolve(); };
  const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
  signal?.addEventListener('abort', onAbort, { once: true });
});

/** Polls /_ping until it answers or the deadline passes; reports progress every few seconds. */
/** deadlineMs may be spent already (the restart command used it): one ping is always tried. totalMs is the deadline to name. */
export async function waitForDocker(ep: Endpoint, deadlineMs: number, progress?: (s: string) => void, signal?: AbortSignal, totalMs = deadlineMs): Promise<void> {
  const start = Date.now();
  const client = await dockerClient(ep, 2_000);
  let lastErr: unknown;
  let lastNote = start;
  for (;;) {
    if (signal?.aborted) throw new PreconditionError('interrupted while waiting for Docker');
    try {
      await client.ping();
      return;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() - start >= deadlineMs) break;
    if (progress && Date.now() - lastNote > 3_000) {
      progress(`waiting for dockerd to answer (${Math.round((Date.now() - start) / 1000)} s of at most ${Math.round(deadlineMs / 1000)} s)...`);
      lastNote = Date.now();
    }
    await sleep(200, signal);
  }
  const why = describeDockerError(ep, lastErr);
  throw new PreconditionError(`dockerd did not come back within ${Math.round(totalMs / 1000)} s: ${why.message}`, 'see its log: journalctl -u docker (or the lab\'s dockerd.log)');
}

/** deadlineMs: the user's --restart-timeout; default: scaled with the number of networks. */
export async function restartDocker(restartCommand: readonly string[], ep: Endpoint, networks: number, progress?: (s: string) => void, signal?: AbortSignal, deadlineMs?: number): Promise<void> {
  const deadline = deadlineMs ?? restartDeadlineMs(networks);
  progress?.(`restarting dockerd: ${joinCommand(restartCommand)}`);
  // one deadline for the whole restart: the command and then the wait for /_ping share it
  const start = Date.now();
  const hint = 'check the daemon log (journalctl -u docker) and --restart-command';
  try {
    await run(restartCommand, { timeoutMs: deadline, hint });
  } catch (e) {
    if (e instanceof CommandError && e.exitStatus === null && Date.now() - start >= deadline - 100) {
      throw new PreconditionError(`dockerd did not come back within ${Math.round(deadline / 1000)} s: the restart command (${joinCommand(restartCommand)}) was still running and was stopped`, hint);
    }
    throw e;
  }
  await waitForDocker(ep, deadline - (Date.now() - start), progress, signal, deadline);
}

/** `<dockerd> --version` ("Docker version 20.10.24+dfsg1, build 297e128") -> "20.10.24+dfsg1". */
export async function dockerdBinaryVersion(dockerdPath: string): Promise<string> {
  const hint = 'name the dockerd your Docker service runs with --dockerd PATH (e.g. --dockerd /usr/bin/dockerd)';
  let out: string;
  try {
    out = (await run([dockerdPath, '--version'], { timeoutMs: 15_000, hint })).stdout;
  } catch (e) {
    throw new PreconditionError(`cannot read the version of ${dockerdPath}: ${isToolError(e) ? e.message : String(e)}`, hint);
  }
  const v = /version\s+([^,\s]+)/i.exec(out)?.[1];
  if (!v) throw new PreconditionError(`${dockerdPath} --version printed no version: ${out.trim().slice(0, 200)}`, hint);
  return v;
}

/**
 * dockerd's own --validate (where it exists) and our rules on `text`, in a private temp folder: nothing of
 * the host changes, so --dry-run can do it too.
 */
export async function validateDaemonText(dockerdPath: string, text: string, dockerVersion: string): Promise<DockerdValidation> {
  let value: Record<string, unknown>;
  try { value = JSON.parse(text || '{}') as Record<string, unknown>; } catch (e) {
    throw new ConfigError(`daemon.json text to validate does not parse: ${(e as Error).message}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'docker-ipv6-validate-'));
  const file = join(dir, 'daemon.json');
  try {
    await writeFile(file, text, { mode: 0o600 });
    return await validateWithDockerd(dockerdPath, file, run, { value, dockerVersion });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
