// Fault suite, the dockerd restart: a daemon that refuses the new config, one that never answers, the tool
// killed with SIGKILL mid-restart, and Ctrl-C. Each ends with daemon.json byte-identical and Docker up.
import test from 'ava';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { faultSuite, ok, restartWrapper, spawnTool, stopDockerdSnippet, sysctl, toolFile, waitFor } from '../helpers/faults';

const suite = faultSuite(test, { group: 'restart', file: 'test/integration/faults-restart.test.ts', lab: { docker: '28', prefix: 'frs' } });
const cfgOf = () => suite.lab.record.dockerd.configFile;
const keepCfg = { keep: () => [cfgOf()] };

async function dockerAnswers(): Promise<boolean> {
  return (await suite.lab.docker(['version', '--format', '{{.Server.Version}}'])).code === 0;
}

suite.scenario('dockerd refuses to start with the new config: rolled back, Docker up on the old one', { fault: 'a flag added to dockerd (as a systemd drop-in would) conflicts with the new fixed-cidr-v6', ...keepCfg }, async (t, lab) => {
  const recFile = join(lab.dir, 'lab.json');
  const rec = readFileSync(recFile, 'utf8');
  const original = readFileSync(cfgOf(), 'utf8');
  // the running daemon has no such flag (so enable's flag check passes); the next start gets it
  const j = JSON.parse(rec);
  j.dockerd.args.push('--fixed-cidr-v6', 'fd00:dead:beef::/64');
  writeFileSync(recFile, JSON.stringify(j, null, 2));
  try {
    const r = await lab.exec(['enable', '--yes']);
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, /restart dockerd .* failed: .*lab restart .* exited 4/);
    t.regex(r.stderr, /specified both as a flag and in the configuration file: fixed-cidr-v6/, 'dockerd\'s own reason is shown');
    t.regex(r.stderr, /restarted dockerd with the restored configuration/);
    t.is(readFileSync(cfgOf(), 'utf8'), original, 'daemon.json byte-identical');
    t.true(await dockerAnswers(), 'Docker answers on the restored config');
    t.is(await sysctl(lab, 'net.ipv6.conf.all.forwarding'), '0');
    t.false(existsSync(toolFile(lab, 'journal.json')));
    t.false(existsSync(toolFile(lab, 'state.json')), 'no state recorded');
  } finally {
    writeFileSync(recFile, rec);
    await lab.lab(['restart']);
  }
});

suite.scenario('dockerd does not answer within --restart-timeout: rolled back', { fault: 'the restart command leaves dockerd stopped', ...keepCfg }, async (t, lab) => {
  const original = readFileSync(cfgOf(), 'utf8');
  const wrapper = restartWrapper(lab, 'stays-down', `${stopDockerdSnippet(lab)}\nexit 0`);
  const started = Date.now();
  const r = await lab.exec(['enable', '--yes', '--restart-command', wrapper, '--restart-timeout', '3s']);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /dockerd did not come back within 3 s/);
  t.regex(r.stderr, /restarted dockerd with the restored configuration/);
  t.true(Date.now() - started < 60_000, 'bounded by the timeout, not the 60 s default');
  t.is(readFileSync(cfgOf(), 'utf8'), original);
  t.true(await dockerAnswers());
  t.is(await sysctl(lab, 'net.ipv6.conf.all.forwarding'), '0');
  const bad = await lab.exec(['enable', '--yes', '--restart-timeout', 'soon']);
  t.is(bad.code, 2, 'an unreadable duration is a usage error');
  t.regex(bad.stderr, /--restart-timeout soon: not a duration/);
});

suite.scenario('the tool is killed with SIGKILL during the restart: the next run finishes the rollback from the journal', { fault: 'kill -9 of docker ipv6 enable (and its restart command) while dockerd is stopped', ...keepCfg }, async (t, lab) => {
  const original = readFileSync(cfgOf(), 'utf8');
  const marker = join(lab.dir, 'in-restart');
  const wrapper = restartWrapper(lab, 'killed', `${stopDockerdSnippet(lab)}\ntouch ${marker}\nsleep 60`);
  const tool = spawnTool(lab, ['enable', '--yes', '--restart-command', wrapper]);
  await waitFor('the restart step', () => existsSync(marker));
  process.kill(-tool.pid, 'SIGKILL');
  const killed = await tool.done;
  t.is(killed.code, 137);
  const journal = JSON.parse(readFileSync(toolFile(lab, 'journal.json'), 'utf8'));
  t.is(journal.status, 'running', 'the journal of the killed run is on disk');
  t.is(JSON.parse(readFileSync(cfgOf(), 'utf8')).ipv6, true, 'the killed run had written daemon.json');
  t.false(await dockerAnswers(), 'and dockerd was stopped');
  t.is(await sysctl(lab, 'net.ipv6.conf.all.forwarding'), '1');

  // apply (as its systemd unit would run it) must not roll the journal back itself: under ProtectSystem=strict
  // the daemon.json undo fails, and the restart from inside a PartOf=docker.service unit deadlocks
  rmSync(marker, { force: true });
  const apply = await lab.exec(['apply', '--restart-command', wrapper]);
  t.is(apply.code, 3, apply.stderr);
  t.regex(apply.stderr, /took over a stale lock of docker ipv6 enable/);
  t.regex(apply.stderr, /an interrupted docker ipv6 enable \(pid \d+, started [^)]+\) left a rollback unfinished \(journal .*journal\.json\): docker ipv6 apply changes nothing else until it is finished/);
  t.regex(apply.stderr, /run docker ipv6 recover: .*or docker ipv6 recover --abandon/);
  t.false(existsSync(marker), 'apply ran no restart');
  t.is(JSON.parse(readFileSync(cfgOf(), 'utf8')).ipv6, true, 'apply left daemon.json to the rollback');
  t.true(existsSync(toolFile(lab, 'journal.json')), 'the journal is left for enable or disable');

  const next = await lab.exec(['disable', '--yes', '--restart-command', wrapper]);
  t.is(next.code, 0, next.stderr);
  t.regex(next.stderr, /did not finish; rolling back its changes first/);
  t.regex(next.stderr, /finished the rollback of an interrupted earlier run first/);
  t.regex(next.stdout, /not enabled on this host: nothing to undo/);
  t.is(readFileSync(cfgOf(), 'utf8'), original, 'daemon.json byte-identical');
  t.true(await dockerAnswers(), 'Docker up again');
  t.is(await sysctl(lab, 'net.ipv6.conf.all.forwarding'), '0');
  t.is(await sysctl(lab, 'net.ipv6.conf.eth0.accept_ra'), '1');
  t.false(existsSync(toolFile(lab, 'journal.json')), 'journal finished and removed');
  t.false(existsSync(toolFile(lab, 'lock')));
});

suite.scenario('Ctrl-C during the restart: rolled back, exit 130', { fault: 'SIGINT to the process group of docker ipv6 enable while dockerd restarts', ...keepCfg }, async (t, lab) => {
  const original = readFileSync(cfgOf(), 'utf8');
  const marker = join(lab.dir, 'in-restart-int');
  const wrapper = restartWrapper(lab, 'ctrl-c', `${stopDockerdSnippet(lab)}\ntouch ${marker}\nsleep 60`);
  const tool = spawnTool(lab, ['enable', '--yes', '--restart-command', wrapper]);
  await waitFor('the restart step', () => existsSync(marker));
  process.kill(-tool.pid, 'SIGINT');
  const r = await tool.done;
  t.is(r.code, 130, r.stderr);
  t.regex(r.stderr, /interrupted by SIGINT/);
  t.regex(r.stderr, /restored .*daemon\.json/);
  t.regex(r.stderr, /everything was put back/);
  t.is(readFileSync(cfgOf(), 'utf8'), original);
  t.true(await dockerAnswers());
  t.is(await sysctl(lab, 'net.ipv6.conf.all.forwarding'), '0');
  t.false(existsSync(toolFile(lab, 'journal.json')));
  t.false(existsSync(toolFile(lab, 'lock')));
  // and a normal enable still works afterwards
  await ok(lab, ['enable', '--yes']);
  await ok(lab, ['disable', '--yes']);
  t.is(readFileSync(cfgOf(), 'utf8'), original);
});
