// run(): the one place that runs programs. A missing program fails at once and leaves no timer behind (the
// process can exit); a program past its timeout is killed and reported.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { run } from '../../../src/util/exec';
import { CommandError, PreconditionError } from '../../../src/errors';

test('a missing program: a precondition error naming it, and nothing keeps the process alive afterwards', async (t) => {
  const err = await t.throwsAsync(run(['/nonexistent/docker-ipv6-no-such-tool', '-x']), { instanceOf: PreconditionError });
  t.regex(err!.message, /docker-ipv6-no-such-tool is not installed/);
  // in a process of its own: it must exit right after the rejection, not when a 60 s timer fires
  const script = `require(${JSON.stringify(join(__dirname, '../../../src/util/exec.ts'))}).run(['/nonexistent/x']).catch(() => {});`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { timeout: 20_000, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.true(Date.now() - t0 < 10_000, `exited after ${Date.now() - t0} ms`);
});

test('a program past its timeout is killed and reported', async (t) => {
  const t0 = Date.now();
  const err = await t.throwsAsync(run(['sleep', '5'], { timeoutMs: 200 }), { instanceOf: CommandError });
  // killed, not waited for: well before the 5 s the program would take (the margin is for a loaded machine)
  t.true(Date.now() - t0 < 4500, `took ${Date.now() - t0} ms`);
  t.truthy(err);
  t.deepEqual((await run(['sh', '-c', 'echo ok'])).stdout, 'ok\n');
});
