// Run by faults-net.test.ts inside a lab namespace with a private /run: one Ip6tables.restore through the
// legacy backend (which takes /run/xtables.lock), reported as JSON on stdout.
import { readFileSync } from 'node:fs';
import { Ip6tables } from '../../../src/host/ip6tables';
import { isToolError } from '../../../src/errors';

async function main(): Promise<void> {
  const batch = readFileSync(process.argv[2], 'utf8');
  const started = Date.now();
  try {
    await new Ip6tables(undefined, 'ip6tables-legacy').restore(batch);
    console.log(JSON.stringify({ ok: true, ms: Date.now() - started }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, ms: Date.now() - started, kind: isToolError(e) ? e.kind : 'internal', exitCode: isToolError(e) ? e.exitCode : 1, message: (e as Error).message }));
  }
}
void main();
