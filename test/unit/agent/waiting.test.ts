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
  await done;
  const lines = r.out.text.trim().split('\n');
  t.is(lines.filter((l) => /waiting: docker ipv6 is not enabled on this host/.test(l)).length, 1, 'said once, not every interval');
  t.regex(r.out.text, /run docker ipv6 enable on it/);
  t.regex(r.out.text, /stopped while waiting; nothing was changed/);
  t.deepEqual(r.fake.log, [], 'no firewall, netlink, sysctl, Docker or file change');
  t.false(existsSync(`${r.ctx.paths.stateDir}/agent.json`), 'not even its status file');
  t.false(existsSync(r.ctx.paths.lockFile), 'nor the lock');
});
