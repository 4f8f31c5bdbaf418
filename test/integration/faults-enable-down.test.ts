// enable with a local Docker that is down because of daemon.json (issue 12, defect 9), on the machine's own
// dockerd 20.10 in a lab: the common guide's `"ip6tables": true` without "experimental" keeps 20.10 from
// starting; enable rewrites the keys it owns, starts Docker and verifies. A Docker down for a key docker-ipv6 does
// not own (20.10 has no --validate to tell before a start) is rolled back: daemon.json byte for byte, Docker left
// down as found. Both are fault-suite scenarios on one lab.
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dockerdPid, faultSuite, sysctl, toolFile, waitFor } from '../helpers/faults';
import type { Lab } from '../helpers/lab';

const suite = faultSuite(test, { group: 'docker down', file: 'test/integration/faults-enable-down.test.ts', lab: { prefix: 'dwn' } });
const cfgOf = () => suite.lab.record.dockerd.configFile;

const PREFIX = 'fd00:dead:beef::/48';
const GUIDE = '{\n  "ipv6": true,\n  "fixed-cidr-v6": "fd00:dead:beef::/64",\n  "ip6tables": true\n}\n';

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** Stops the lab's dockerd as `systemctl stop docker` would, and waits for it to exit. */
async function stopDocker(lab: Lab): Promise<void> {
  const pid = Number(dockerdPid(lab));
  process.kill(pid, 'SIGTERM');
  await waitFor('dockerd to exit', () => !alive(pid), 30_000);
}

async function answers(lab: Lab): Promise<boolean> {
  const { ping } = await import('../../src/lab/api');
  return ping(lab.socket, 1500);
}

/** The lab's own daemon.json back and its dockerd running, for the next scenario. */
async function putBack(lab: Lab, original: Buffer): Promise<void> {
  writeFileSync(cfgOf(), original);
  const r = await lab.lab(['restart']);
  if (r.code !== 0) throw new Error(`lab restart failed: ${r.stderr}`);
}

suite.scenario('Docker down for a key docker-ipv6 does not own: the start fails, rolled back byte for byte, Docker left down as found',
  { fault: 'daemon.json holds a key dockerd 20.10 rejects at start ("ipv6-nat") and no rule of docker-ipv6 knows; dockerd is down', keep: () => [cfgOf()] },
  async (t, lab) => {
    const original = readFileSync(cfgOf());
    const text = GUIDE.replace('\n}', ',\n  "ipv6-nat": true\n}');
    try {
      writeFileSync(cfgOf(), text);
      await stopDocker(lab);
      const forwarding = await sysctl(lab, 'net.ipv6.conf.all.forwarding');
      const r = await lab.exec(['enable', '--yes', '--prefix', PREFIX]);
      t.log(r.stderr);
      t.is(r.code, 1, r.stderr);
      t.regex(r.stderr, /Docker is down \(dockerd 20\.10/);
      t.regex(r.stderr, /did not start with the new daemon\.json either \(it was down before docker ipv6 enable\)/);
      t.regex(r.stderr, /ipv6-nat/, 'dockerd\'s own words, from its log');
      t.regex(r.stderr, /did not restart dockerd: Docker was already down before docker ipv6 enable.*left down, as it was/);
      t.regex(r.stderr, /hint: daemon\.json is put back byte for byte/);
      t.notRegex(r.stderr, /systemctl start|could NOT be restored/);
      t.is(readFileSync(cfgOf(), 'utf8'), text, 'daemon.json byte-identical');
      t.false(await answers(lab), 'Docker down, as it was: not made worse, not started on another file');
      t.is(await sysctl(lab, 'net.ipv6.conf.all.forwarding'), forwarding);
      t.false(existsSync(toolFile(lab, 'journal.json')), 'nothing left to undo');
      t.false(existsSync(toolFile(lab, 'state.json')));
    } finally {
      await putBack(lab, original);
    }
  });

suite.scenario('Docker down because of the common guide ("ip6tables" without "experimental" on 20.10): enable fixes the key, starts Docker, IPv6 on the bridge',
  { fault: 'daemon.json from the common guide stops dockerd 20.10 at start; dockerd is down' },
  async (t, lab) => {
    const original = readFileSync(cfgOf());
    try {
      writeFileSync(cfgOf(), GUIDE);
      await stopDocker(lab);
      const again = await lab.lab(['restart']);
      t.not(again.code, 0, 'the premise: with this file dockerd does not start again');
      t.regex(again.stderr, /experimental/);
      t.false(await answers(lab));

      // their own ULA fixed-cidr-v6: bare enable keeps it (the /48 it opens becomes the prefix) and says so
      const dry = await lab.exec(['enable', '--dry-run']);
      t.is(dry.code, 0, dry.stderr);
      t.log(dry.stdout);
      t.regex(dry.stdout, /^Prefix {3}fd00:dead:beef::\/48 \(holds your fixed-cidr-v6\); default bridge fd00:dead:beef::\/64$/m);
      t.regex(dry.stdout, /kept your "fixed-cidr-v6": "fd00:dead:beef::\/64" for the default bridge: it overlaps nothing on this host/);
      t.is(readFileSync(cfgOf(), 'utf8'), GUIDE);
      t.regex(dry.stdout, /^Docker {3}down: .*planned for dockerd 20\.10/m);
      t.regex(dry.stdout, /why: dockerd 20\.10\S* refuses "ip6tables": true without "experimental": true/);
      t.regex(dry.stdout, /not checked while Docker is down:/);
      t.false(await answers(lab), 'a dry run starts nothing');

      const r = await lab.exec(['enable', '--yes']);
      t.is(r.code, 0, r.stderr);
      t.regex(r.stdout, /IPv6 enabled: prefix fd00:dead:beef::\/48, mode nat, default bridge fd00:dead:beef::\/64/);
      t.regex(r.stdout, /Kept your "fixed-cidr-v6"/);
      t.regex(r.stdout, /Docker was down before enable/);
      const cfg = JSON.parse(readFileSync(cfgOf(), 'utf8'));
      t.is(cfg.experimental, true);
      t.is(cfg.ip6tables, true);
      t.is(cfg['fixed-cidr-v6'], 'fd00:dead:beef::/64', 'their prefix kept');
      t.true(await answers(lab), 'Docker runs');
      const bridge = await lab.docker(['network', 'inspect', 'bridge', '--format', '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{end}}']);
      t.regex(bridge.stdout, /^true .*fd00:dead:beef::\/64/);
      const status = JSON.parse((await lab.exec(['status', '--json'])).stdout);
      t.is(status.state.prefix, PREFIX);
    } finally {
      await putBack(lab, original);
    }
  });
