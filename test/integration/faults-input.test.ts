// Fault suite, input, security and concurrency: hostile names never become flags, invalid interface names
// stop before any command, non-root and remote endpoints cannot change anything, runs serialise on the lock.
import test from 'ava';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labExecEnv } from '../../src/lab/env';
import { capture, CLI, REPO, type Lab, type Result } from '../helpers/lab';
import { faultSuite, hostState, ok, restartWrapper, spawnTool, toolFile, waitFor } from '../helpers/faults';

const suite = faultSuite(test, { group: 'input, security, concurrency', file: 'test/integration/faults-input.test.ts', lab: { docker: '28', prefix: 'fin' } });
const cfgOf = () => suite.lab.record.dockerd.configFile;
const keepCfg = { keep: () => [cfgOf()] };

const commandLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('+ '));

suite.scenario('network names, labels and options with shell metacharacters or leading dashes never reach a command line', { fault: 'hostile network name, label and bridge option values' }, async (t, lab) => {
  const marker = join(lab.dir, 'pwned');
  const hostile = [`fault;touch ${marker}`, `$(touch ${marker})`, '-rf', '--help'];
  for (const name of hostile) {
    const r = await lab.exec(['-v', 'network', 'create', '--label', `note=$(touch ${marker})`, '--label', `-x=\`touch ${marker}\``, '-o', `com.docker.network.bridge.name=-evil0`, '--', name]);
    for (const l of commandLines(r.stderr)) t.false(l.includes(name) || l.includes('touch'), `a command line carries the input: ${l}`);
    if (r.code === 0) {
      const ins = await lab.docker(['network', 'inspect', '--format', '{{json .Labels}}', '--', name]);
      t.is(ins.code, 0, ins.stderr);
      t.is(JSON.parse(ins.stdout).note, `$(touch ${marker})`, 'the label is data, exactly as given');
      await lab.docker(['network', 'rm', '--', name]);
    } else {
      t.true([2, 4].includes(r.code), `refused as input, not run: ${r.code} ${r.stderr}`);
    }
    t.false(existsSync(marker), `nothing ran for ${name}`);
  }
});

suite.scenario('invalid interface names are refused before any command runs', { fault: '--uplink with a leading dash, a space, 16+ characters, a slash', ...keepCfg }, async (t, lab) => {
  const before = await hostState(lab);
  for (const bad of ['-rf', 'a b', 'abcdefghijklmnop', 'eth0/../x', '']) {
    for (const cmd of [['enable', '--yes'], ['status'], ['apply']]) {
      const r = await lab.exec(['-v', '--uplink', bad, ...cmd]);
      t.is(r.code, 2, `${cmd[0]} --uplink '${bad}': ${r.stderr}`);
      t.regex(r.stderr, /invalid interface name/);
      t.deepEqual(commandLines(r.stderr), [], `-v shows no command ran for '${bad}'`);
    }
  }
  t.deepEqual(await hostState(lab), before);
});

/** The tool as nobody (uid/gid 65534) in the lab host, with read and write access to the lab's socket only. */
function asNobody(lab: Lab, args: string[]): Promise<Result> {
  return capture(['nsenter', `--net=/var/run/netns/${lab.record.namespaces.host}`, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', CLI, ...args],
    { env: { ...labExecEnv(lab.record, process.env, CLI), HOME: '/nonexistent' } });
}

suite.scenario('non-root: read-only commands work, changing commands fail before any change', { fault: 'the tool runs as nobody', ...keepCfg }, async (t, lab) => {
  const mode = statSync(lab.socket).mode & 0o7777;
  chmodSync(lab.socket, 0o666);
  try {
    const before = await hostState(lab);
    const st = await asNobody(lab, ['status']);
    t.is(st.code, 0, st.stderr);
    t.regex(st.stdout, /docker|Docker/);
    const lint = await asNobody(lab, ['lint', join(REPO, 'test/fixtures/lint/guide/compose-example.yml')]);
    t.true([0, 1].includes(lint.code), lint.stderr);
    const doc = await asNobody(lab, ['doctor']);
    t.true([0, 1].includes(doc.code), `doctor runs its checks: ${doc.code} ${doc.stderr}`);
    for (const cmd of [['enable', '--yes'], ['disable', '--yes'], ['apply'], ['agent']]) {
      const r = await asNobody(lab, cmd);
      t.is(r.code, 3, `${cmd[0]}: ${r.stderr}`);
      t.regex(r.stderr, /needs root/);
    }
    t.deepEqual(await hostState(lab), before, 'nothing changed, no lock or journal left');
  } finally {
    chmodSync(lab.socket, mode);
  }
});

suite.scenario('a remote Docker endpoint: changing commands are refused before connecting', { fault: '-H tcp://192.0.2.1:2375 (and DOCKER_HOST) point at another machine', ...keepCfg }, async (t, lab) => {
  // 192.0.2.1 is the lab's upstream: a listener there counts every connection attempt
  const js = "let n=0;require('net').createServer(c=>{n++;c.destroy()}).listen(2375,'192.0.2.1',()=>console.log('ready'));process.on('SIGTERM',()=>{console.log('connections '+n);process.exit(0)})";
  const listener = spawn('nsenter', [`--net=/var/run/netns/${lab.record.namespaces.upstream}`, process.execPath, '-e', js], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  listener.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const closed = new Promise((r) => listener.on('close', r));
  await waitFor('the listener', () => out.includes('ready'), 20_000);
  const before = await hostState(lab);
  try {
    for (const cmd of [['enable', '--yes'], ['disable', '--yes'], ['apply'], ['agent']]) {
      const r = await lab.exec(['-H', 'tcp://192.0.2.1:2375', 'ipv6', ...cmd]);
      t.is(r.code, 3, `${cmd[0]}: ${r.stderr}`);
      t.regex(r.stderr, /tcp:\/\/192\.0\.2\.1:2375 \(from --host\) is not on this host/);
    }
    const env = await lab.exec(['enable', '--yes'], { env: { DOCKER_HOST: 'tcp://192.0.2.1:2375' } });
    t.is(env.code, 3, env.stderr);
    t.regex(env.stderr, /\(from DOCKER_HOST\) is not on this host/);
  } finally {
    listener.kill('SIGTERM');
    await closed;
  }
  t.regex(out, /connections 0/, 'never contacted by a changing command');
  t.deepEqual(await hostState(lab), before);
});

suite.scenario('two enable at once end in the state of one', { fault: 'two docker ipv6 enable started together', ...keepCfg }, async (t, lab) => {
  const original = readFileSync(cfgOf(), 'utf8');
  const a = spawnTool(lab, ['enable', '--yes']);
  const b = spawnTool(lab, ['enable', '--yes']);
  const [ra, rb] = await Promise.all([a.done, b.done]);
  const codes = [ra.code, rb.code].sort();
  t.true(codes[0] === 0 && [0, 3].includes(codes[1]), `${ra.code}: ${ra.stderr}\n${rb.code}: ${rb.stderr}`);
  if (codes[1] === 3) t.regex(ra.stderr + rb.stderr, /another docker ipv6 enable is running \(pid \d+/);
  else t.regex(ra.stdout + rb.stdout, /already enabled/, 'the second one found the first one done');
  const cfg = JSON.parse(readFileSync(cfgOf(), 'utf8'));
  const state = JSON.parse(readFileSync(toolFile(lab, 'state.json'), 'utf8'));
  t.true(cfg['fixed-cidr-v6'].startsWith(state.prefix.replace(/::\/48$/, ':')), `daemon.json ${cfg['fixed-cidr-v6']} inside the saved prefix ${state.prefix}`);
  t.false(existsSync(toolFile(lab, 'journal.json')));
  t.false(existsSync(toolFile(lab, 'lock')));
  await ok(lab, ['disable', '--yes']);
  t.is(readFileSync(cfgOf(), 'utf8'), original);
});

suite.scenario('the agent and apply wait for the lock while enable runs', { fault: 'apply and the agent start during a slow enable', ...keepCfg }, async (t, lab) => {
  const marker = join(lab.dir, 'slow-restart');
  const wrapper = restartWrapper(lab, 'slow', `touch ${marker}; sleep 4\nexec ${CLI} lab restart ${lab.name}`);
  const en = spawnTool(lab, ['enable', '--yes', '--restart-command', wrapper]);
  await waitFor('enable to reach its restart', () => existsSync(marker));
  const apply = spawnTool(lab, ['apply']);
  const agent = spawnTool(lab, ['agent', '--interval', '1s']);
  const e = await en.done;
  t.is(e.code, 0, e.stderr);
  const enableDone = Date.now();
  const ap = await apply.done;
  t.is(ap.code, 0, ap.stderr);
  t.regex(ap.stderr, /waiting for docker ipv6 enable \(pid \d+\) to finish/);
  t.true(Date.now() >= enableDone);
  await new Promise((r) => setTimeout(r, 1500));
  process.kill(-agent.pid, 'SIGTERM');
  const ag = await agent.done;
  t.regex(ag.stdout + ag.stderr, /waiting for docker ipv6 (enable|apply)/, 'the agent waited too');
  await ok(lab, ['disable', '--yes']);
});
