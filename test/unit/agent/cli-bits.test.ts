// Durations, the agent's log lines and its status line.
import test from 'ava';
import { Writable } from 'node:stream';
import { parseDuration } from '../../../src/cli/duration';
import { makeLogger } from '../../../src/agent/log';
import { agentJson, agentLine, type AgentStatus } from '../../../src/observe/agent-status';
import { UsageError } from '../../../src/errors';

test('durations', (t) => {
  t.is(parseDuration('30s', '--interval'), 30_000);
  t.is(parseDuration('250ms', '--interval'), 250);
  t.is(parseDuration('2m', '--x'), 120_000);
  t.is(parseDuration('5', '--x'), 5000);
  t.throws(() => parseDuration('soon', '--wait-docker'), { instanceOf: UsageError, message: /--wait-docker soon/ });
});

function sink(isTTY: boolean) {
  const lines: string[] = [];
  const w = new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }) as Writable & { isTTY?: boolean };
  w.isTTY = isTTY;
  return { w, lines };
}

test('JSON lines off a terminal, a readable line on one', (t) => {
  const now = () => new Date('2024-05-01T10:00:00.123Z');
  const a = sink(false);
  makeLogger(a.w, now)('info', 'add proxy', { because: ['docker container start c1'] });
  t.deepEqual(JSON.parse(a.lines[0]), { time: '2024-05-01T10:00:00.123Z', level: 'info', msg: 'add proxy', because: ['docker container start c1'] });
  t.true(a.lines[0].endsWith('}\n') && a.lines[0].split('\n').length === 2);
  const b = sink(true);
  makeLogger(b.w, now)('error', 'reconcile failed', { error: 'x' });
  t.is(b.lines[0], '10:00:00.123 ERROR reconcile failed  error=x\n');
});

test('agent status line: running (this process), stopped, gone, never started', (t) => {
  const base: AgentStatus = { pid: process.pid, startTime: null, started: '2024-05-01T10:00:00Z', intervalMs: 30000, counts: { passes: 3, changes: 2, errors: 0, events: 5, reconnects: 0 }, lastReconcile: { at: '2024-05-01T10:00:05Z', durationMs: 30, changes: 1, spawned: 2, reasons: ['start'] } };
  t.regex(agentLine(base), /^running \(pid \d+, since 2024-05-01T10:00:00Z\), last reconcile 2024-05-01T10:00:05Z \(1 change\(s\)\)$/);
  t.regex(agentLine({ ...base, stopped: '2024-05-01T11:00:00Z' }), /^not running \(stopped 2024-05-01T11:00:00Z\)/);
  t.regex(agentLine({ ...base, pid: 2 ** 22 + 1 }), /^not running \(pid \d+ is gone\)/);
  t.is(agentLine(undefined), 'not running (never started on this host)');
  t.like(agentJson(base) as object, { running: true, lastReconcile: base.lastReconcile });
});
