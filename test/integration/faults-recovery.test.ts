// Fault suite, recovery of a killed run: a hand edit made after the kill is kept (ours saved beside it), a
// journaled restart command that hangs is never run (this run's --restart-command is), `recover --abandon`
// leaves the host as it is and drops the journal, and a hostile journal is refused (exit 5) with nothing changed.
import test from 'ava';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { restartCommand } from '../../src/lab/env';
import { CLI, type Lab } from '../helpers/lab';
import { faultSuite, hostState, spawnTool, stopDockerdSnippet, sysctl, toolFile, waitFor } from '../helpers/faults';

const suite = faultSuite(test, { group: 'recovery', file: 'test/integration/faults-recovery.test.ts', lab: { docker: '28', prefix: 'frcv' } });
const cfgOf = () => suite.lab.record.dockerd.configFile;
const SUFFIX = '.docker-ipv6-rollback';

async function dockerAnswers(lab: Lab): Promise<boolean> {
  return (await lab.docker(['version', '--format', '{{.Server.Version}}'])).code === 0;
}

/** A restart command that (on every call) runs `body` after marking that it started; counts its calls. */
function script(lab: Lab, name: string, body: string): { path: string; marker: string; calls: () => number } {
  const path = join(lab.dir, `${name}.sh`);
  const marker = join(lab.dir, `${name}.started`);
  const count = join(lab.dir, `${name}.count`);
  writeFileSync(path, ['#!/bin/sh', `echo x >> ${count}`, `touch ${marker}`, body, ''].join('\n'), { mode: 0o755 });
  return { path, marker, calls: () => (existsSync(count) ? readFileSync(count, 'utf8').trim().split('\n').length : 0) };
}

/** enable killed with SIGKILL (with its restart command) while that command runs. */
async function killEnableInRestart(t: import('ava').ExecutionContext, lab: Lab, restart: { path: string; marker: string }): Promise<void> {
  const tool = spawnTool(lab, ['enable', '--yes', '--restart-command', restart.path]);
  await waitFor('the restart step', () => existsSync(restart.marker));
  process.kill(-tool.pid, 'SIGKILL');
  t.is((await tool.done).code, 137);
  t.is(JSON.parse(readFileSync(toolFile(lab, 'journal.json'), 'utf8')).status, 'running', 'the killed run left its journal');
}

suite.scenario('daemon.json edited by hand after a killed enable: recovery keeps the edit, saves ours beside it, says so', { fault: 'kill -9 of enable mid-restart, then a hand edit of daemon.json before recovery' }, async (t, lab) => {
  const original = readFileSync(cfgOf(), 'utf8');
  const restart = script(lab, 'stop-and-hang', `${stopDockerdSnippet(lab)}\nsleep 1000`);
  try {
    await killEnableInRestart(t, lab, restart);
    const ours = JSON.parse(readFileSync(cfgOf(), 'utf8'));
    t.is(ours.ipv6, true, 'the killed run had written daemon.json');
    const edit = `${JSON.stringify({ ...ours, 'log-level': 'warn' }, null, 2)}\n`;
    writeFileSync(cfgOf(), edit); // the admin, before anyone recovers
    const r = await lab.exec(['recover']);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /left \d+ change\(s\) to undo, last first/);
    const kept = `kept ${cfgOf()} as it is now: it was changed after docker-ipv6 wrote it; the version the rollback would have restored is in ${cfgOf()}${SUFFIX}`;
    t.true(r.stderr.includes(kept), r.stderr);
    t.regex(r.stdout, /kept as someone else left it \(not rolled back\):/);
    t.is(readFileSync(cfgOf(), 'utf8'), edit, 'the hand edit is kept');
    t.is(readFileSync(`${cfgOf()}${SUFFIX}`, 'utf8'), original, 'ours (what the rollback would have written) is beside it');
    t.true(await dockerAnswers(lab), 'Docker answers afterwards');
    t.is(await sysctl(lab, 'net.ipv6.conf.all.forwarding'), '0', 'the rest was rolled back');
    t.false(existsSync(toolFile(lab, 'journal.json')));
    t.is(restart.calls(), 1, 'the journaled restart command was not run again');
  } finally {
    writeFileSync(cfgOf(), original);
    rmSync(`${cfgOf()}${SUFFIX}`, { force: true });
    await lab.lab(['restart']);
  }
});

suite.scenario('the journaled restart command hangs: recovery runs this run\'s --restart-command and finishes in bounded time', { fault: 'a journal whose restart command is a sleep 1000 (enable killed while it ran)', keep: () => [cfgOf()] }, async (t, lab) => {
  const original = readFileSync(cfgOf(), 'utf8');
  const hang = script(lab, 'hangs', `${stopDockerdSnippet(lab)}\nsleep 1000`);
  await killEnableInRestart(t, lab, hang);
  const journal = JSON.parse(readFileSync(toolFile(lab, 'journal.json'), 'utf8'));
  t.deepEqual(journal.entries.find((e: { stepId: string }) => e.stepId === 'arm-restart').record.command, [hang.path], 'the journal holds the hanging command');
  const good = restartCommand(lab.record, CLI);
  const started = Date.now();
  const r = await lab.exec(['recover', '--restart-command', good]);
  const ms = Date.now() - started;
  t.is(r.code, 0, r.stderr);
  t.log(`recovery took ${ms} ms`);
  t.true(ms < 45_000, `bounded: ${ms} ms`);
  t.true(r.stderr.includes(`not the interrupted run's (${hang.path})`), r.stderr);
  t.is(hang.calls(), 1, 'the hanging command ran only in the killed run');
  t.is(readFileSync(cfgOf(), 'utf8'), original, 'daemon.json restored (it still held our bytes)');
  t.true(await dockerAnswers(lab));
  t.false(existsSync(toolFile(lab, 'journal.json')));
});

suite.scenario('recover --abandon leaves the host as it is and removes the journal', { fault: 'kill -9 of enable mid-restart (dockerd still up), then recover --abandon' }, async (t, lab) => {
  const original = readFileSync(cfgOf(), 'utf8');
  const keys = ['net.ipv6.conf.all.forwarding', 'net.ipv6.conf.default.forwarding', 'net.ipv6.conf.eth0.accept_ra'];
  const sysctlsBefore = await Promise.all(keys.map((k) => sysctl(lab, k)));
  const restart = script(lab, 'hang-only', 'sleep 1000');
  try {
    await killEnableInRestart(t, lab, restart);
    const before = await hostState(lab);
    const dry = await lab.exec(['recover', '--abandon', '--dry-run']);
    t.is(dry.code, 0, dry.stderr);
    t.regex(dry.stdout, /would abandon/);
    t.true(existsSync(toolFile(lab, 'journal.json')), 'a dry run keeps the journal');
    const r = await lab.exec(['recover', '--abandon']);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /abandoned the interrupted docker ipv6 enable \(pid \d+\) without undoing anything; left as it is:/);
    t.true(r.stdout.includes(`${cfgOf()} keeps its current content`), r.stdout);
    // which sysctls enable changed depends on what dockerd had set already (28 turns forwarding on itself)
    t.regex(r.stdout, /sysctl net\.ipv6\.conf\.[\w.]+ keeps its value \d+ \(it was \d+ before the interrupted run\)/);
    t.regex(r.stdout, /dockerd is not restarted/);
    t.deepEqual(await hostState(lab), { ...before, journal: false, lock: false }, 'daemon.json, dockerd, rules, forwarding as they were; only the journal (and the dead run\'s stale lock) is gone');
    t.is(restart.calls(), 1);
    t.true(await dockerAnswers(lab));
    const again = await lab.exec(['recover']);
    t.is(again.code, 0, again.stderr);
    t.regex(again.stdout, /no interrupted run to recover/);
  } finally {
    writeFileSync(cfgOf(), original);
    rmSync(join(lab.record.toolRoot, 'etc/sysctl.d/60-docker-ipv6.conf'), { force: true });
    for (const [i, k] of keys.entries()) await lab.host(['sysctl', '-qw', `${k}=${sysctlsBefore[i]}`]);
  }
});

suite.scenario('a hostile journal is refused (exit 5) and nothing changes', { fault: 'journals naming a file the tool does not write, an unknown kind, a foreign sysctl, a command in a file record', keep: () => [cfgOf()] }, async (t, lab) => {
  const sentinel = join(lab.dir, 'not-ours.conf');
  writeFileSync(sentinel, 'untouched\n');
  const journalPath = toolFile(lab, 'journal.json');
  const cases: Array<[object, RegExp]> = [
    [{ kind: 'file', path: sentinel, absent: false, previousText: 'pwned\n' }, /a file record for .*not-ours\.conf, a file docker-ipv6 does not write/],
    [{ kind: 'exec', argv: ['touch', join(lab.dir, 'pwned')] }, /a record of unknown kind "exec"/],
    [{ kind: 'sysctl', key: 'net.ipv6.conf.all.hop_limit', previous: '1' }, /a sysctl record for net\.ipv6\.conf\.all\.hop_limit, a key docker-ipv6 never sets/],
    [{ kind: 'file', path: cfgOf(), absent: true, command: ['touch', join(lab.dir, 'pwned')] }, /a file record with field\(s\) command/],
  ];
  try {
    for (const [record, why] of cases) {
      const text = `${JSON.stringify({ version: 1, command: 'enable', pid: 2 ** 22 + 1, processStart: null, startedAt: '2024-05-01T10:00:00Z', status: 'running',
        entries: [{ stepId: 'x', describe: 'x', state: 'applied', record }] }, null, 2)}\n`;
      writeFileSync(journalPath, text, { mode: 0o600 });
      const before = await hostState(lab);
      for (const args of [['recover'], ['enable', '--yes']]) {
        const r = await lab.exec(args);
        t.is(r.code, 5, `${args.join(' ')}: ${r.stderr}`);
        t.true(r.stderr.includes(journalPath), 'names the journal');
        t.regex(r.stderr, why);
        t.regex(r.stderr, /nothing was undone or changed/);
      }
      t.deepEqual(await hostState(lab), before, 'daemon.json, dockerd, rules, forwarding, state unchanged');
      t.is(readFileSync(journalPath, 'utf8'), text, 'the journal is untouched');
      t.is(readFileSync(sentinel, 'utf8'), 'untouched\n');
      t.false(existsSync(join(lab.dir, 'pwned')));
    }
    const a = await lab.exec(['recover', '--abandon']);
    t.is(a.code, 0, a.stderr);
    t.regex(a.stdout, /stays as it is \(its record is not one docker-ipv6 writes\)/);
    t.false(existsSync(journalPath));
  } finally {
    rmSync(journalPath, { force: true });
  }
});
