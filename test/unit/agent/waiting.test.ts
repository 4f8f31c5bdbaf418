// An agent on a host that is not enabled (a Swarm node the global service reached first): it waits, says why once,
// changes nothing (no lock, no status file, no rule), and stops cleanly when told to.
import test from 'ava';
import { existsSync } from 'node:fs';
import { runAgent } from '../../../src/agent/agent';
import { fakeRun } from '../../fakes/run';

test.serial('not enabled: the agent waits, says why, changes nothing, and stops on SIGTERM', async (t) => {
  const r = fakeRun();
  t.teardown(() => r.cleanup());
  r.fake.state.value = undefined;
  const done = runAgent(r.ctx, { intervalMs: 50, debounceMs: 10, cleanup: false });
  await new Promise((res) => setTimeout(res, 300));
  process.kill(process.pid, 'SIGTERM');
  // a loaded machine: the process runs again only after the next poll is due, so the timer fires in the same turn
  // as the signal is dispatched (a listener added and removed per poll lost the signal here, and the agent ran on)
  const busyUntil = Date.now() + 200;
  while (Date.now() < busyUntil) { /* not scheduled */ }
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('the agent did not stop on SIGTERM within 20 s')), 20_000); });
  try {
    await Promise.race([done, stuck]);
  } finally {
    clearTimeout(timer);
  }
  const lines = r.out.text.trim().split('\n');
  t.is(lines.filter((l) => /waiting: docker ipv6 is not enabled on this host/.test(l)).length, 1, 'said once, not every interval');
  t.regex(r.out.text, /run docker ipv6 enable on it/);
  t.regex(r.out.text, /stopped while waiting; nothing was changed/);
  t.deepEqual(r.fake.log, [], 'no firewall, netlink, sysctl, Docker or file change');
  t.false(existsSync(`${r.ctx.paths.stateDir}/agent.json`), 'not even its status file');
  t.false(existsSync(r.ctx.paths.lockFile), 'nor the lock');
});
