// `apply --wait-docker` at boot: a daemon still starting is waited for through the dockerd adapter (the same
// /_ping wait as after a restart); one that never answers fails with the wait named, and nothing is applied.
import test from 'ava';
import { runApply } from '../../../src/apply/apply';
import { fakeRun } from '../../fakes/run';

test('Docker answers at once: no wait', async (t) => {
  const r = fakeRun();
  t.teardown(r.cleanup);
  await runApply(r.ctx, { waitDockerMs: 5_000 });
  t.false(r.fake.log.some((l) => l.startsWith('dockerd wait')));
  t.notRegex(r.err.text, /waiting up to/);
});

test('Docker down for the whole wait: the wait is named, the error says so, no rule is applied', async (t) => {
  const r = fakeRun();
  t.teardown(r.cleanup);
  r.fake.docker.down = true;
  r.fake.dockerd.answering = false;
  await t.throwsAsync(runApply(r.ctx, { waitDockerMs: 3_000 }), { message: /did not come back within 3 s/ });
  t.regex(r.err.text, /waiting up to 3 s for Docker at unix:\/\/\/var\/run\/docker\.sock/);
  t.true(r.fake.log.includes('dockerd wait unix:///var/run/docker.sock'));
  t.is(r.fake.fw.restores.length, 0);
});
