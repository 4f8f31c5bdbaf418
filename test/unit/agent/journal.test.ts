// The agent's and apply's locked pass never rolls back another command's journal: it refuses, naming it.
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { lockedPass } from '../../../src/apply/apply';
import { writeJournal, type Journal } from '../../../src/transaction/journal';
import { RunContext } from '../../../src/cli/context';
import { resolveGlobals } from '../../../src/cli/globals';
import { PreconditionError } from '../../../src/errors';
import { skeletonRules } from '../../../src/firewall/batches';
import { enabledState, net, world } from '../../fakes/reconcile';

const ROUTED = '2001:db8:100::/48';
const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'd6-agent-journal-'));
  const ctx = new RunContext(resolveGlobals({ root, restartCommand: 'true' }, {}), { hosts: [] } as never, {}, sink(), sink());
  mkdirSync(ctx.paths.stateDir, { recursive: true });
  const daemonJson = join(root, 'daemon.json');
  writeFileSync(daemonJson, '{"ipv6": true}\n');
  const restarted = join(root, 'restarted');
  // what an enable killed after writing daemon.json leaves: undo the file, then restart dockerd
  const journal: Journal = {
    version: 1, command: 'enable', pid: 2 ** 22 + 1, processStart: null, startedAt: '2024-05-01T10:00:00Z', status: 'running',
    entries: [
      { stepId: 'arm-restart', describe: 'on rollback: restart dockerd', state: 'applied', record: { kind: 'restart', command: ['sh', '-c', `touch ${restarted}; exit 1`], endpoint: { host: 'unix:///nonexistent.sock', source: 'test', local: true }, networks: 0 } },
      { stepId: 'write-daemon-json', describe: `write ${daemonJson}`, state: 'applied', record: { kind: 'file', path: daemonJson, absent: false, previousText: '{}\n', mode: 0o644, uid: 0, gid: 0 } },
    ],
  };
  const w = world(enabledState('routed', ROUTED));
  w.networks = [net('bridge', 'b'.repeat(64), '2001:db8:100::/64')];
  return { root, ctx, daemonJson, restarted, journal, w, done: () => rmSync(root, { recursive: true, force: true }) };
}

test('an unfinished journal of enable: no undo runs (no file write, no restart), nothing is reconciled, the error says what to run', async (t) => {
  const s = setup();
  try {
    await writeJournal(s.ctx.paths.journalFile, s.journal);
    const logs: string[] = [];
    const e = await t.throwsAsync(lockedPass(s.ctx, s.w.deps, 'agent', {}, (l) => logs.push(l)), { instanceOf: PreconditionError });
    t.regex(e!.message, /an interrupted docker ipv6 enable \(pid \d+, started 2024-05-01T10:00:00Z\) left a rollback unfinished/);
    t.true(e!.message.includes(s.ctx.paths.journalFile), 'names the journal');
    t.regex(e!.message, /docker ipv6 agent changes nothing else until it is finished/);
    t.regex((e as PreconditionError).hint ?? '', /run docker ipv6 recover: .*or docker ipv6 recover --abandon/);
    t.is(readFileSync(s.daemonJson, 'utf8'), '{"ipv6": true}\n', 'daemon.json not rewritten (EROFS under the unit)');
    t.false(existsSync(s.restarted), 'no restart command was run (it would deadlock under PartOf=docker.service)');
    t.is(s.w.dockerCalls, 0, 'no reconcile on top of the half-done host');
    // what it does instead: the closed skeleton from the state alone (every Docker bridge closed, the route)
    t.is(s.w.fw.restores.length, 1);
    t.deepEqual(s.w.fw.tables.filter.rules['D6-FORWARD'], skeletonRules([], { uplink: 'eth0' }).filter((r) => r.startsWith('-A D6-FORWARD ')).map((r) => r.replace(/^-A D6-FORWARD /, '')));
    t.deepEqual([...s.w.net.unreachable], [ROUTED]);
    t.true(logs.some((l) => /kept closed: update firewall filter D6-FORWARD/.test(l)), logs.join('\n'));
    const saves = s.w.fw.saves;
    t.true(existsSync(s.ctx.paths.journalFile), 'the journal stays for enable or disable');
    t.false(existsSync(s.ctx.paths.lockFile), 'the lock is released');
    // apply and the cleanup pass on stop refuse the same way
    await t.throwsAsync(lockedPass(s.ctx, s.w.deps, 'apply', { cleanup: true }, () => {}), { message: /docker ipv6 apply changes nothing/ });
    t.is(s.w.fw.saves, saves, 'a cleanup pass installs nothing');
  } finally { s.done(); }
});

test('a journal marked done has nothing left to undo: it is removed and the pass runs', async (t) => {
  const s = setup();
  try {
    await writeJournal(s.ctx.paths.journalFile, { ...s.journal, status: 'done' });
    const r = await lockedPass(s.ctx, s.w.deps, 'agent', {}, () => {});
    t.false(existsSync(s.ctx.paths.journalFile));
    t.true(r.changes.length > 0, 'reconciled');
    t.is(readFileSync(s.daemonJson, 'utf8'), '{"ipv6": true}\n');
    t.false(existsSync(s.restarted));
  } finally { s.done(); }
});

test('no journal: the pass runs', async (t) => {
  const s = setup();
  try {
    const r = await lockedPass(s.ctx, s.w.deps, 'agent', {}, () => {});
    t.true(r.changes.length > 0);
  } finally { s.done(); }
});
