// restartDocker: one deadline for the restart command and the wait for /_ping together, with a message that
// says Docker did not come back in time whichever of the two used it up.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getEventListeners } from 'node:events';
import { restartDocker, waitForDocker } from '../../../src/host/dockerd';
import { PreconditionError } from '../../../src/errors';

function nowhere(): { ep: { host: string; source: string; local: boolean }; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'd6-restart-'));
  return { ep: { host: `unix://${join(dir, 'docker.sock')}`, source: 'test', local: true }, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('a restart command still running at the deadline: stopped, and the error says dockerd did not come back in time', async (t) => {
  const { ep, done } = nowhere();
  try {
    const t0 = Date.now();
    const err = await t.throwsAsync(restartDocker(['sleep', '30'], ep, 0, undefined, undefined, 1000), { instanceOf: PreconditionError });
    t.regex(err!.message, /^dockerd did not come back within 1 s: the restart command \(sleep 30\) was still running and was stopped$/);
    t.true(Date.now() - t0 < 5000);
  } finally { done(); }
});

test('the command returns but dockerd never answers: the wait gets what the command left of the one deadline', async (t) => {
  const { ep, done } = nowhere();
  try {
    const t0 = Date.now();
    // 2.5 s of command, 4 s in all: one shared deadline ends at ~4 s, a second full one would end at ~6.5 s;
    // the upper bound leaves 2 s for a loaded machine and still tells the two apart
    const err = await t.throwsAsync(restartDocker(['sleep', '2.5'], ep, 0, undefined, undefined, 4000), { instanceOf: PreconditionError });
    const took = Date.now() - t0;
    t.regex(err!.message, /^dockerd did not come back within 4 s: /);
    t.true(took >= 3900 && took < 6000, `took ${took} ms for a 4 s deadline`);
  } finally { done(); }
});

test('the wait for /_ping leaves no abort listener behind on the transaction\'s signal, and an abort still ends it early', async (t) => {
  const { ep, done } = nowhere();
  try {
    // one signal serves a whole transaction: a listener per poll (every 200 ms) piled up past Node's limit of 10
    const c = new AbortController();
    await t.throwsAsync(waitForDocker(ep, 2600, undefined, c.signal), { message: /did not come back within 3 s/ });
    t.is(getEventListeners(c.signal, 'abort').length, 0, 'every poll\'s listener removed when its timer fired');
    const t0 = Date.now();
    const waiting = waitForDocker(ep, 30_000, undefined, c.signal);
    setTimeout(() => c.abort(), 300);
    await t.throwsAsync(waiting, { message: /interrupted while waiting for Docker/ });
    t.true(Date.now() - t0 < 3000, 'the abort ended the wait');
    t.is(getEventListeners(c.signal, 'abort').length, 0);
  } finally { done(); }
});
