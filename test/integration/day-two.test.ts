// The operator's second hour (issue 22), walked on real dockerds as a person would, every printed fix run as
// printed: 20.10 from the common guide's daemon.json (Docker down) to enable, a refused and then a safe disable, and
// the guide's variant with the uplink's own prefix; 28 in routed mode with a port published after enable, the agent
// started with the command the tool prints, and disable with the containers kept running.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killLabAgent, withLab, type Lab } from '../helpers/lab';
import type { Finding } from '../../src/doctor/types';
import { poll } from './agent-lab';

const STATE = 'var/lib/docker-ipv6';

async function must(lab: Lab, cmd: string): Promise<string> {
  const r = await lab.shell(cmd);
  if (r.code !== 0) throw new Error(`${cmd} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return `${r.stdout}${r.stderr}`;
}

/** The command of a printed fix: what comes before its first " (" explanation; docker ipv6 changes get --yes, as in a script. */
function command(fix: string): string {
  const cmd = fix.split(' (')[0].trim();
  return /^docker ipv6 (enable|disable|doctor --fix)\b/.test(cmd) ? `${cmd} --yes` : cmd;
}

async function doctor(lab: Lab): Promise<Finding[]> {
  const r = await lab.exec(['doctor', '--json']);
  return (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
}
const bad = (fs: Finding[]) => fs.filter((f) => f.status === 'fail' || f.status === 'warn');
const find = (fs: Finding[], id: string) => fs.find((f) => f.id === id && (f.status === 'fail' || f.status === 'warn'));

/** Runs each printed fix that is a command line; every one must succeed. */
async function runFixes(t: import('ava').ExecutionContext, lab: Lab, fs: Finding[]): Promise<string[]> {
  const ran: string[] = [];
  for (const f of bad(fs)) {
    const cmd = command(f.fix);
    if (!/^(docker ipv6 |sysctl |ip6tables |ip -6 |systemctl |nohup )/.test(cmd) || ran.includes(cmd)) continue;
    t.log(`${f.id}: ${cmd}`);
    await must(lab, cmd);
    ran.push(cmd);
  }
  return ran;
}

const containerState = async (lab: Lab, name: string) => (await lab.docker(['inspect', '-f', '{{.State.Status}}', name])).stdout.trim();
const fileOf = (lab: Lab) => readFileSync(lab.record.dockerd.configFile, 'utf8');
const routerReached = async (lab: Lab) => (await lab.host(['busybox', 'ping6', '-c1', '-W2', lab.record.addresses.upstream6])).code === 0;

test.serial('20.10 from the common guide\'s daemon.json: doctor\'s fixes run as printed, enable keeps fd00::/80, disable refuses the file that stops dockerd and restores it safely', async (t) => {
  await withLab(t, { docker: '20', prefix: 'dt20' }, async (lab) => {
    // a container that runs, and one that was stopped before any of this (short stop timeouts keep restarts quick)
    await lab.docker(['run', '-d', '--name', 'web', '--stop-timeout', '1', '-p', '8080:80', 'local/busybox:1', 'sh', '-c', 'while true; do nc -l -p 80 -e echo hello; done']);
    await lab.docker(['create', '--name', 'idle', 'local/busybox:1', 'sleep', '600']);
    const guide = '{"ipv6": true, "fixed-cidr-v6": "fd00::/80", "experimental": false, "ip6tables": true}\n';
    writeFileSync(lab.record.dockerd.configFile, guide);
    t.not((await lab.lab(['restart'])).code, 0, 'the guide\'s file stops dockerd 20.10');

    // doctor names the cause; its fixes, run as printed, bring Docker up with the user's prefix kept
    const down = await doctor(lab);
    t.regex(find(down, 'daemon.reachable')?.detail ?? '', /"ip6tables": true without "experimental": true stops this dockerd/);
    const dry = await lab.exec(['doctor', '--fix', '--dry-run']);
    t.regex(dry.stderr, /doctor --fix would run, as one transaction[\s\S]*its undo point is \S+daemon\.json as it is now/);
    const ran = await runFixes(t, lab, down);
    t.true(ran.includes('docker ipv6 enable --yes'), ran.join('; '));
    const after = await doctor(lab);
    t.deepEqual(bad(after).map((f) => f.id), [], JSON.stringify(bad(after)));
    t.regex(fileOf(lab), /"fixed-cidr-v6": "fd00::\/80"/, 'the default bridge keeps the guide\'s subnet');
    t.is(JSON.parse(readFileSync(join(lab.record.toolRoot, STATE, 'state.json'), 'utf8')).prefix, 'fd00::/72');

    // disable would put back a file that stops dockerd: it says so first and changes nothing
    await lab.docker(['start', 'web']);
    const before = fileOf(lab);
    const pid = readFileSync(lab.record.dockerd.pidFile, 'utf8');
    const refused = await lab.exec(['disable', '--yes']);
    t.is(refused.code, 5, refused.stderr);
    t.regex(refused.stderr, /would not start with it.*nothing was changed/s);
    t.regex(refused.stderr, /docker ipv6 disable --drop-bad-keys/);
    t.is(fileOf(lab), before);
    t.is(readFileSync(lab.record.dockerd.pidFile, 'utf8'), pid, 'dockerd was not restarted');
    // the way out it prints, run as printed: Docker runs, web runs again, nothing of Docker's left to delete by hand
    const way = /^\s+(docker ipv6 disable --drop-bad-keys)\b/m.exec(refused.stderr)![1];
    const out = await must(lab, `${way} --yes`);
    t.regex(out, /"ip6tables" left out/);
    t.regex(out, /Containers down during the restart: web \d+\.\d s/);
    t.notRegex(out, /to remove them|by hand/);
    t.is(fileOf(lab), '{"ipv6": true, "fixed-cidr-v6": "fd00::/80", "experimental": false}\n');
    t.is(await containerState(lab, 'web'), 'running', 'the container that ran is running again');
    t.is(await containerState(lab, 'idle'), 'created', 'the one that never ran stays as it was');
    const nat = (await lab.host(['ip6tables-save', '-t', 'nat'])).stdout;
    t.notRegex(nat, /MASQUERADE|-A (PREROUTING|OUTPUT) .*-j DOCKER/, 'Docker\'s leftovers from enable are gone');
    t.regex((await lab.host(['ip6tables-save', '-t', 'filter'])).stdout, /:FORWARD ACCEPT/, 'FORWARD policy as before enable');
    t.deepEqual(bad(await doctor(lab)).filter((f) => f.id === 'firewall.ipv6nat'), [], 'doctor finds nothing left of enable');

    // the guide's variant with the uplink's own prefix (Docker down again): doctor --fix repairs it in one transaction
    // with the saved prefix, so the undo point is that very file; disable then refuses it (the bridge would take the
    // host's and router's prefix), and --drop-bad-keys keeps the host its router
    const gua = '{"ipv6": true, "fixed-cidr-v6": "2001:db8:1::/64", "ip6tables": true}\n';
    writeFileSync(lab.record.dockerd.configFile, gua);
    t.not((await lab.lab(['restart'])).code, 0);
    const fix = JSON.parse((await lab.exec(['doctor', '--fix', '--yes', '--json'])).stdout) as { fixed: Array<{ id: string; how: string }>; fixErrors: string[] };
    t.true(fix.fixed.some((f) => f.id === 'daemon.experimental' && /set by docker ipv6 enable/.test(f.how)), JSON.stringify(fix));
    t.regex(fileOf(lab), /"fixed-cidr-v6": "fd00::\/80"/, 'Docker runs on the saved prefix, never on the router\'s');
    t.true(await routerReached(lab));
    const hazard = await lab.exec(['disable', '--yes']);
    t.is(hazard.code, 5, hazard.stderr);
    t.regex(hazard.stderr, /holds the host's own address 2001:db8:1::2/);
    await must(lab, 'docker ipv6 disable --drop-bad-keys --yes');
    t.notRegex(fileOf(lab), /fixed-cidr-v6|ip6tables/);
    t.true(await routerReached(lab), 'the host still reaches its router');
    t.is((await lab.docker(['info', '-f', '{{.ID}}'])).code, 0, 'Docker runs');
  });
});

test.serial('28 routed: a port published after enable is closed until the agent runs; doctor says so and changes nothing; the printed command starts the agent; disable keeps the containers', async (t) => {
  await withLab(t, { docker: '28', prefix: 'dt28' }, async (lab) => {
    t.teardown(() => killLabAgent(lab));
    // a container that runs before enable: enable's restart stops it, enable starts it again and says for how long
    await lab.docker(['run', '-d', '--name', 'before', '--stop-timeout', '1', 'local/busybox:1', 'sleep', '600']);
    const en = await lab.exec(['enable', '--yes', '--prefix', '2001:db8:5::/48', '--mode', 'routed']);
    t.is(en.code, 0, en.stderr);
    t.regex(en.stdout, /Containers down during the restart: before \d+\.\d s/);
    t.is(await containerState(lab, 'before'), 'running');
    t.regex(en.stdout, /Agent {4}not running: ports published and networks created from now on stay closed from outside until docker ipv6 apply runs/);
    const agentCmd = /keep the agent running: (nohup docker ipv6 agent .*&)$/m.exec(en.stdout)![1];
    const route = /The upstream router needs this route: (\S+) via (\S+)/.exec(en.stdout)!;
    await lab.upstream(['ip', '-6', 'route', 'add', route[1], 'via', route[2]]);

    // published after enable, no agent: closed from outside, and doctor names it (without opening it)
    await lab.docker(['run', '-d', '--name', 'web', '--stop-timeout', '1', '-p', '8080:80', 'local/busybox:1', 'sh', '-c', 'while true; do nc -l -p 80 -e echo hello; done']);
    const addr = (await lab.docker(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}}{{end}}', 'web'])).stdout.trim();
    const reach = async () => (await lab.upstream(['busybox', 'nc', '-w2', addr, '80'], { input: '' })).stdout.includes('hello');
    t.false(await reach(), 'closed: nothing lets the new port in yet');
    const rules = async () => (await lab.host(['ip6tables-save', '-t', 'filter'])).stdout.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    const rulesBefore = await rules();
    const fs = await doctor(lab);
    t.regex(find(fs, 'firewall.in-step')?.detail ?? '', /web 80\/tcp/);
    t.is(find(fs, 'firewall.in-step')?.fix, 'docker ipv6 apply');
    t.is(find(fs, 'firewall.agent')?.fix, agentCmd, 'doctor prints the same command enable did');
    const v = await lab.exec(['verify', '--json'], { timeoutMs: 120_000 });
    t.is(await rules(), rulesBefore, 'doctor and verify changed no rule');
    t.regex(v.stderr, /agent is not running .* verify changes nothing/);
    t.false(await reach());

    // the printed command, run as printed: the agent opens the port, and doctor is content
    await must(lab, agentCmd);
    await poll('the published port to open', async () => (await reach()) || undefined, 20_000, 200);
    await poll('doctor to find nothing', async () => (bad(await doctor(lab)).length === 0 ? true : undefined), 20_000, 500);

    // network create says what it changed (the agent may have been first: then there is nothing left to change)
    const made = await lab.exec(['network', 'create', '--json', 'later']);
    t.is(made.code, 0, made.stderr);
    t.true('hostChanges' in JSON.parse(made.stdout));

    // disable: the plan names web, which runs again afterwards, with its downtime; nothing to delete by hand
    const dry = await lab.exec(['disable', '--dry-run']);
    t.regex(dry.stdout, /The restart stops the 2 running container\(s\) without a restart policy: (before, web|web, before)/);
    const dis = await lab.exec(['disable', '--yes']);
    t.is(dis.code, 0, dis.stderr);
    t.regex(dis.stdout, /Containers down during the restart: .*web \d+\.\d s/);
    t.notRegex(dis.stdout, /to remove them|by hand/);
    t.is(await containerState(lab, 'web'), 'running');
    // Docker 28's own chains are not leftovers: doctor does not ask to delete them
    const left = bad(await doctor(lab)).filter((f) => /DOCKER/.test(f.fix) && /-F|-X/.test(f.fix));
    t.deepEqual(left, []);
    // the prefix outlives disable: a network made now says where its subnet comes from
    const after = await lab.exec(['network', 'create', 'after']);
    t.is(after.code, 0, after.stderr);
    t.regex(after.stderr, /docker ipv6 is not enabled \(it was disabled\): the IPv6 subnet comes from the prefix 2001:db8:5::\/48/);
  });
});
