// Run by faults-net.test.ts inside a lab namespace with a private /run: one Ip6tables.restore through the
// legacy backend (which takes /run/xtables.lock), reported as JSON on stdout.
// argv: BATCH-FILE HOLDER-PID [RELEASE-AFTER-MS]: the holder (a process holding the lock until killed) is
// killed RELEASE-AFTER-MS after the restore starts, or when it ends.
import { readFileSync } from 'node:fs';
import { Ip6tables } from '../../../src/host/ip6tables';
import { isToolError } from '../../../src/errors';

async function main(): Promise<void> {
  const batch = readFileSync(process.argv[2], 'utf8');
  const holder = Number(process.argv[3]);
  const releaseAfterMs = process.argv[4] ? Number(process.argv[4]) : undefined;
  const release = () => { try { process.kill(holder, 'SIGKILL'); } catch { /* already gone */ } };
  const started = Date.now();
  const timer = releaseAfterMs === undefined ? undefined : setTimeout(release, releaseAfterMs);
  try {
    await new Ip6tables(undefined, 'ip6tables-legacy').restore(batch);
    console.log(JSON.stringify({ ok: true, ms: Date.now() - started }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, ms: Date.now() - started, kind: isToolError(e) ? e.kind : 'internal', exitCode: isToolError(e) ? e.exitCode : 1, message: (e as Error).message }));
  } finally {
    clearTimeout(timer);
    release();
  }
}
void main();
