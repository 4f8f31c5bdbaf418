// Durations, the agent's log lines and its status line.
import test from 'ava';
import { Writable } from 'node:stream';
import { parseDuration } from '../../../src/cli/duration';
import { makeLogger } from '../../../src/agent/log';
import { agentJson, agentLine, agentRunning, type AgentStatus } from '../../../src/observe/agent-status';
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
  const line = (s: AgentStatus | undefined) => agentLine(s, agentRunning(s));
  t.regex(line(base), /^running \(pid \d+, since 2024-05-01T10:00:00Z\), last reconcile 2024-05-01T10:00:05Z \(1 change\(s\)\)$/);
  t.regex(line({ ...base, stopped: '2024-05-01T11:00:00Z' }), /^not running \(stopped 2024-05-01T11:00:00Z\)/);
  t.regex(line({ ...base, pid: 2 ** 22 + 1 }), /^not running \(pid \d+ is gone\)/);
  t.is(line(undefined), 'not running (never started on this host)');
  t.like(agentJson(base, agentRunning(base)) as object, { running: true, lastReconcile: base.lastReconcile });
});

test('an agent in a container (a Swarm task) runs while its container runs, whatever its pid means here', (t) => {
  const s: AgentStatus = { pid: 1, startTime: '5', started: '2024-05-01T10:00:00Z', intervalMs: 30000, counts: { passes: 0, changes: 0, errors: 0, events: 0, reconnects: 0 }, container: 'abc123def456' };
  t.true(agentRunning(s, { runningContainers: ['abc123def4567890'] }));
  t.false(agentRunning(s, { runningContainers: ['fff'] }));
  t.false(agentRunning(s));
  t.regex(agentLine(s, true), /^running \(container abc123def456, since/);
  t.regex(agentLine(s, false), /^not running \(container abc123def456 is gone\)/);
});

test('log lines carry names escaped: no raw control character on a terminal or in a JSON line, the JSON value exact', (t) => {
  const now = () => new Date('2024-05-01T10:00:00.123Z');
  const name = 'evil\u001b]0;pwned\u0007x\u009b\nfake';
  const a = sink(false);
  makeLogger(a.w, now)('warn', `network ${name} is left out`, { network: name });
  t.false(/[\u0000-\u001f\u007f-\u009f]/.test(a.lines[0].slice(0, -1)));
  t.is((JSON.parse(a.lines[0]) as { network: string }).network, name);
  const b = sink(true);
  makeLogger(b.w, now)('warn', `network ${name} is left out`, { network: name });
  t.is(b.lines[0], '10:00:00.123 WARN network evil\\x1b]0;pwned\\x07x\\u009b\\nfake is left out  network=evil\\x1b]0;pwned\\x07x\\u009b\\nfake\n');
});
