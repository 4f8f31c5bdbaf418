// network create/ls/upgrade and verify (NAT mode) against a real dockerd per version: one lab each, several scenarios.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { withLab, type Lab } from '../helpers/lab';
import { overlaps, parseCidr4, parseCidr6 } from '../../src/model/ip';
import { nftBinary } from '../../src/host/nftables';

interface Created { name: string; ipv4: { subnet: string }; ipv6: { subnet: string } }
interface Row { id: string; title: string; status: string; detail: string; fix?: string }

async function create(lab: Lab, args: string[]): Promise<Created> {
  const r = await lab.exec(['network', 'create', '--json', ...args]);
  if (r.code !== 0) throw new Error(`network create ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Created;
}

function assertDisjoint(t: import('ava').ExecutionContext, subnets: string[]): void {
  for (let i = 0; i < subnets.length; i++) {
    for (let j = i + 1; j < subnets.length; j++) {
      const [a, b] = [subnets[i], subnets[j]];
      const hit = a.includes(':') ? b.includes(':') && overlaps(parseCidr6(a)!, parseCidr6(b)!) : !b.includes(':') && overlaps(parseCidr4(a)!, parseCidr4(b)!);
      if (hit) t.fail(`${a} overlaps ${b}`);
    }
  }
}

async function verify(lab: Lab, args: string[]): Promise<{ code: number; rows: Record<string, Row>; stderr: string }> {
  const r = await lab.exec(['verify', '--json', ...args], { timeoutMs: 120_000 });
  const out = JSON.parse(r.stdout || '{"checks":[]}') as { checks: Row[] };
  return { code: r.code, rows: Object.fromEntries(out.checks.map((c) => [c.id, c])), stderr: r.stderr };
}

/** Removes Docker's masquerade of `subnet`: from ip6tables' nat table, or from its nftables table (29, nftables backend). */
async function dropDockerMasquerade(t: import('ava').ExecutionContext, lab: Lab, subnet: string, nftables: boolean): Promise<void> {
  if (nftables) {
    const list = await lab.host([nftBinary(), '-a', 'list', 'table', 'ip6', 'docker-bridges']);
    let chain = '';
    let handle = '';
    for (const l of list.stdout.split('\n')) {
      const c = /^\s*chain (\S+) \{/.exec(l);
      if (c) chain = c[1];
      const h = l.includes(`ip6 saddr ${subnet}`) && l.includes('masquerade') ? /# handle (\d+)/.exec(l) : null;
      if (h) { handle = h[1]; break; }
    }
    t.truthy(handle, list.stdout);
    t.is((await lab.host([nftBinary(), 'delete', 'rule', 'ip6', 'docker-bridges', chain, 'handle', handle])).code, 0);
    return;
  }
  const nat = await lab.host(['ip6tables', '-t', 'nat', '-S', 'POSTROUTING']);
  const rule = nat.stdout.split('\n').find((l) => l.includes(`-s ${subnet}`) && l.includes('MASQUERADE'));
  t.truthy(rule, nat.stdout);
  t.is((await lab.host(['ip6tables', '-t', 'nat', ...rule!.replace(/^-A /, '-D ').split(' ')])).code, 0);
}

/**
 * Network names with terminal escapes. Docker accepts any control character in a network name (measured on 20.10,
 * 26, 28 and 29: ESC, BEL, C1, DEL, tab, newline), so one version's lab is enough: status, network ls and doctor
 * show them escaped, JSON keeps them exact, and the upgrade command network ls prints, run as printed (with the
 * --yes a person would answer), gives the network IPv6.
 */
async function escapedNames(t: import('ava').ExecutionContext, lab: Lab): Promise<void> {
  const title = 'evil\u001b]0;pwned\u0007x'; // OSC 0: sets the terminal's title
  const fake = 'c1\u009b2J\nall checks passed'; // C1 CSI "erase the screen", then a line of its own
  for (const n of [title, fake]) t.is((await lab.docker(['network', 'create', n])).code, 0);
  t.is((await lab.docker(['run', '-d', '--name', 'esc', '--network', title, 'local/busybox:1', 'sleep', '600'])).code, 0);
  const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
  let printedFix = '';
  for (const args of [['status'], ['network', 'ls'], ['doctor']]) {
    const r = await lab.exec(args);
    t.false(raw.test(r.stdout + r.stderr), `${args[0]} prints no control character but its own newlines: ${JSON.stringify(r.stdout)}`);
    t.true(r.stdout.includes('evil\\x1b]0;pwned\\x07x'), `${args[0]} shows the name escaped: ${r.stdout}`);
    t.false(r.stdout.split('\n').some((l) => l.startsWith('all checks passed')), `${args[0]}: a name is never a line of its own`);
    if (args[1] === 'ls') {
      t.true(r.stdout.includes('c1\\u009b2J\\nall checks passed'));
      printedFix = /off \((docker ipv6 network upgrade \$'evil\\x1b\]0;pwned\\x07x')\)/.exec(r.stdout)?.[1] ?? '';
    }
    if (args[0] === 'doctor') t.regex(r.stdout, /network "evil\\x1b\]0;pwned\\x07x" has 1 container\(s\) but EnableIPv6 is off/);
  }
  const json = JSON.parse((await lab.exec(['network', 'ls', '--json'])).stdout) as { networks: Array<{ name: string; ipv6Status: string }> };
  t.true([title, fake].every((n) => json.networks.some((r) => r.name === n)), 'JSON keeps the names exact');
  t.truthy(printedFix, 'network ls prints the upgrade command with the name quoted');
  const up = await lab.lab(['exec', '--', 'bash', '-c', `${printedFix} --yes`]);
  t.is(up.code, 0, up.stderr);
  t.false(raw.test(up.stdout + up.stderr));
  const after = JSON.parse((await lab.exec(['network', 'ls', '--json'])).stdout) as { networks: Array<{ name: string; ipv6Status: string }> };
  t.is(after.networks.find((r) => r.name === title)?.ipv6Status, 'on');
  const ctr = await lab.docker(['inspect', '--format', `{{(index .NetworkSettings.Networks "${title}").GlobalIPv6Address}}`, 'esc']);
  t.truthy(parseCidr6(ctr.stdout.trim()), `the container on it has an IPv6 address: ${ctr.stdout}${ctr.stderr}`);
}

const VARIANTS = [
  { v: '20', label: '20' }, { v: '26', label: '26' }, { v: '28', label: '28' },
  { v: '29', fb: 'iptables', label: '29-iptables' }, { v: '29', fb: 'nftables', label: '29-nftables' },
];

for (const { v: version, fb, label } of VARIANTS) {
  test.serial(`network create/upgrade and verify (nat) on dockerd ${label}`, async (t) => {
    await withLab(t, { docker: version, firewallBackend: fb, prefix: `nw${label.replace('-iptables', 'i').replace('-nftables', 'n')}` }, async (lab) => {
      const en = await lab.exec(['enable', '--yes']);
      t.is(en.code, 0, en.stderr);

      // two creates without subnets: disjoint v4 and v6, labelled, IPv6 on
      const a = await create(lab, ['alpha']);
      const b = await create(lab, ['beta']);
      assertDisjoint(t, [a.ipv4.subnet, b.ipv4.subnet, a.ipv6.subnet, b.ipv6.subnet]);
      const ins = await lab.docker(['network', 'inspect', '--format', '{{.EnableIPv6}} {{index .Labels "com.docker-ipv6.managed"}}', 'alpha']);
      t.is(ins.stdout.trim(), 'true true');

      // two at once do not collide
      const [c1, c2] = await Promise.all([create(lab, ['conc1']), create(lab, ['conc2'])]);
      assertDisjoint(t, [a.ipv4.subnet, b.ipv4.subnet, c1.ipv4.subnet, c2.ipv4.subnet]);
      assertDisjoint(t, [a.ipv6.subnet, b.ipv6.subnet, c1.ipv6.subnet, c2.ipv6.subnet]);

      // a removed network's IPv6 subnet is free again: the state forgets it and the next create may take it
      const allocs = () => (JSON.parse(readFileSync(`${lab.record.toolRoot}/var/lib/docker-ipv6/state.json`, 'utf8')) as { allocations?: Record<string, string> }).allocations ?? {};
      t.is(allocs().beta, b.ipv6.subnet);
      t.is((await lab.docker(['network', 'rm', 'beta'])).code, 0);
      const g = await create(lab, ['gamma']);
      t.is(g.ipv6.subnet, b.ipv6.subnet, 'the lowest free /64 is the one beta held');
      t.false('beta' in allocs());
      t.is(allocs().gamma, g.ipv6.subnet);
      t.is(allocs().alpha, a.ipv6.subnet);

      // an overlapping --subnet is refused with the reason, and nothing is created
      const over = await lab.exec(['network', 'create', '--subnet', a.ipv6.subnet, 'clash']);
      t.is(over.code, 2, over.stderr);
      t.regex(over.stderr, /overlaps network alpha .*nothing was created/);
      const over4 = await lab.exec(['network', 'create', '--subnet', a.ipv4.subnet, 'clash']);
      t.is(over4.code, 2);
      t.regex(over4.stderr, /overlaps network alpha/);
      const ls = await lab.docker(['network', 'ls', '--format', '{{.Name}}']);
      t.false(ls.stdout.split('\n').includes('clash'));

      // names, labels and options with dashes and shell metacharacters are data for the API
      const odd = await lab.exec(['network', 'create', '--label=--privileged=$(touch /tmp/pwned);x', '--opt=com.docker.network.driver.mtu=1400', 'odd']);
      t.is(odd.code, 0, odd.stderr);
      const lbl = await lab.docker(['network', 'inspect', '--format', '{{index .Labels "--privileged"}}', 'odd']);
      t.is(lbl.stdout.trim(), '$(touch /tmp/pwned);x');
      const dash = await lab.exec(['network', 'create', '--', '-rm']);
      t.is(dash.code, 2);
      t.regex(dash.stderr, /invalid network name "-rm"/);

      // --compose prints the block and creates nothing
      const comp = await lab.exec(['network', 'create', '--compose', 'composed']);
      t.is(comp.code, 0, comp.stderr);
      t.regex(comp.stdout, /networks:\n {2}composed:\n[\s\S]*enable_ipv6: true[\s\S]*- subnet: [\d.]+\/24\n\s+- subnet: [0-9a-f:]+\/64/);

      // verify passes on the enabled lab
      const v = await verify(lab, []);
      t.is(v.code, 0, JSON.stringify(v.rows, null, 1) + v.stderr);
      t.regex(v.rows['egress-source']?.detail ?? '', /host's address 2001:db8:1::2/);
      t.is(v.rows['egress-source']?.title, 'source address seen outside (conntrack)');

      // no IPv6 on the network
      t.is((await lab.docker(['network', 'create', 'v4only'])).code, 0);
      const v4 = await verify(lab, ['--network', 'v4only']);
      t.is(v4.code, 1);
      t.is(v4.rows.address.status, 'fail');
      t.regex(v4.rows.address.detail, /network v4only has IPv6 off/);

      // forwarding off on the host
      await lab.host(['busybox', 'sysctl', '-w', 'net.ipv6.conf.all.forwarding=0']);
      const vf = await verify(lab, ['--network', 'alpha']);
      await lab.host(['busybox', 'sysctl', '-w', 'net.ipv6.conf.all.forwarding=1']);
      t.is(vf.code, 1);
      t.is(vf.rows.egress.status, 'fail');
      t.regex(vf.rows.egress.detail, /forwarding is off/);
      t.is(vf.rows['host-reach'].status, 'pass', 'the host itself still reaches outside');

      // the NAT rule removed
      await dropDockerMasquerade(t, lab, a.ipv6.subnet, fb === 'nftables');
      const vn = await verify(lab, ['--network', 'alpha']);
      t.is(vn.code, 1);
      t.regex(vn.rows.egress.detail, /no IPv6 masquerade rule covers/);
      t.is(vn.rows['egress-source'].status, 'skip', 'egress failed: the expected source address is not judged');

      // upgrade keeps the running container's name, aliases, and gives it IPv6
      t.is((await lab.docker(['network', 'create', 'legacy'])).code, 0);
      const run = await lab.docker(['run', '-d', '--name', 'keep', '--network', 'legacy', '--network-alias', 'web', 'local/busybox:1', 'sleep', '600']);
      t.is(run.code, 0, run.stderr);
      const no = await lab.exec(['network', 'upgrade', 'legacy'], { env: {} });
      t.is(no.code, 2, 'asks first; no terminal -> refused');
      t.regex(no.stderr, /keep \(running\), aliases web/);
      const up = await lab.exec(['network', 'upgrade', 'legacy', '--yes']);
      t.is(up.code, 0, up.stderr);
      const after = await lab.docker(['inspect', '--format', '{{.Name}} {{.State.Running}} {{(index .NetworkSettings.Networks "legacy").GlobalIPv6Address}} {{(index .NetworkSettings.Networks "legacy").Aliases}}', 'keep']);
      const [nm, running, v6addr, ...aliases] = after.stdout.trim().split(' ');
      t.is(nm, '/keep');
      t.is(running, 'true');
      t.truthy(parseCidr6(v6addr), after.stdout);
      t.regex(aliases.join(' '), /\bweb\b/);
      const lsOut = await lab.exec(['network', 'ls', '--json']);
      const rows = (JSON.parse(lsOut.stdout) as { networks: Array<{ name: string; ipv6: string[]; ipv6Status: string; managed: boolean }> }).networks;
      t.like(rows.find((r) => r.name === 'legacy'), { ipv6Status: 'on', managed: true });

      // 40 creates in a row, none overlapping anything
      for (let i = 0; i < 40; i++) await create(lab, [`many${i}`]);
      const all = rows.length ? (JSON.parse((await lab.exec(['network', 'ls', '--json'])).stdout) as { networks: Array<{ ipv4: string[]; ipv6: string[] }> }).networks : [];
      t.true(all.length >= 40 + 9);
      assertDisjoint(t, all.flatMap((n) => n.ipv4));
      assertDisjoint(t, all.flatMap((n) => n.ipv6));

      // no probe leftovers
      const left = await lab.docker(['ps', '-a', '--filter', 'label=com.docker-ipv6.probe', '--format', '{{.Names}}']);
      t.is(left.stdout.trim(), '');

      if (version === '28') await escapedNames(t, lab);
    });
  });
}
