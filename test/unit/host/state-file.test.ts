// The state file adapter against real files: content checked on load (exit 5, nothing changed), the
// folder and file checked for trust (exit 3), the folder made 0755 by the first write.
import test, { type ExecutionContext } from 'ava';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, PreconditionError } from '../../../src/errors';
import { readState, writeState } from '../../../src/host/state-file';

function stateDir(t: ExecutionContext): string {
  const root = mkdtempSync(join(tmpdir(), 'trs-state-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return join(root, 'var/lib/docker-ipv6');
}

test('the first write makes the folder 0755 and the file 0644; a read gives it back', async (t) => {
  const dir = stateDir(t);
  const file = join(dir, 'state.json');
  await writeState(file, { version: 1, prefix: 'fd12:3456:789a::/48' });
  t.is(statSync(dir).mode & 0o7777, 0o755);
  t.is(statSync(file).mode & 0o7777, 0o644);
  t.deepEqual(await readState(file), { version: 1, prefix: 'fd12:3456:789a::/48' });
});

test('a hostile prefix is a ConfigError (exit 5) naming the file and the field; the file is left as it was', async (t) => {
  const dir = stateDir(t);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'state.json');
  const text = '{"version": 1, "prefix": "::/0", "mode": "routed", "routes": ["unreachable ::/0"]}\n';
  writeFileSync(file, text);
  const e = await t.throwsAsync(readState(file), { instanceOf: ConfigError });
  t.is(e!.exitCode, 5);
  t.regex(e!.message, new RegExp(`state file ${file} is not valid: prefix ::/0 is not a unicast prefix`));
  t.truthy(e!.hint);
  t.is(readFileSync(file, 'utf8'), text);
});

test('a state folder owned by nobody or open to all is refused for reads and writes (exit 3)', async (t) => {
  const dir = stateDir(t);
  const file = join(dir, 'state.json');
  await writeState(file, { version: 1 });
  chownSync(dir, 65534, 65534);
  await t.throwsAsync(readState(file), { instanceOf: PreconditionError, message: /is owned by uid 65534/ });
  await t.throwsAsync(writeState(file, { version: 1 }), { instanceOf: PreconditionError });
  chownSync(dir, 0, 0);
  chmodSync(dir, 0o777);
  await t.throwsAsync(readState(file), { instanceOf: PreconditionError, message: /mode 0777/ });
  chmodSync(dir, 0o755);
  chownSync(file, 65534, 65534);
  await t.throwsAsync(readState(file), { instanceOf: PreconditionError, message: /refusing to trust the state file/ });
});
