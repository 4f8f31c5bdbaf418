// verify in routed mode (dockerd 28, 29 with either firewall backend): passes with the upstream route, the far end sees the container's own
// address, and it fails with the upstream-route reason when the route is removed.
import test from 'ava';
import { withLab } from '../helpers/lab';

interface Row { id: string; title: string; status: string; detail: string; fix?: string }

// 28, and 29 with each firewall backend (our filter in ip6tables, or in our own nftables table)
for (const { v, fb } of [{ v: '28' }, { v: '29', fb: 'iptables' }, { v: '29', fb: 'nftables' }]) {
test.serial(`verify in routed mode on dockerd ${v}${fb ? ` (${fb} backend)` : ''}`, async (t) => {
  await withLab(t, { docker: v, firewallBackend: fb, prefix: `vr${v}${fb?.[0] ?? ''}` }, async (lab) => {
    const prefix = '2001:db8:100::/48';
    const en = await lab.exec(['enable', '--yes', '--prefix', prefix, '--mode', 'routed']);
    t.is(en.code, 0, en.stderr);
    t.is((await lab.upstream(['ip', '-6', 'route', 'add', prefix, 'via', lab.record.addresses.host6])).code, 0);
    const net = await lab.exec(['network', 'create', '--json', 'r1']);
    t.is(net.code, 0, net.stderr);
    // the upstream plays the far end: count echo requests that arrive with a source inside the prefix
    t.is((await lab.upstream(['ip6tables', '-I', 'INPUT', '-s', prefix, '-p', 'ipv6-icmp', '--icmpv6-type', 'echo-request', '-j', 'ACCEPT'])).code, 0);
    const run = async () => {
      const r = await lab.exec(['verify', '--json', '--network', 'r1'], { timeoutMs: 120_000 });
      const out = JSON.parse(r.stdout || '{"checks":[]}') as { checks: Row[] };
      return { code: r.code, rows: Object.fromEntries(out.checks.map((c) => [c.id, c])), raw: r };
    };
    const ok = await run();
    t.is(ok.code, 0, JSON.stringify(ok.rows, null, 1) + ok.raw.stderr);
    t.regex(ok.rows['egress-source'].detail, /container's own address 2001:db8:100:/);
    // seen, not inferred: the host's conntrack names the source the upstream answered
    t.is(ok.rows['egress-source'].title, 'source address seen outside (conntrack)');
    const count = await lab.upstream(['ip6tables', '-L', 'INPUT', '-v', '-x', '-n']);
    const pkts = Number(/^\s*(\d+)\s+\d+\s+ACCEPT.*2001:db8:100::\/48/m.exec(count.stdout)?.[1] ?? 0);
    t.true(pkts >= 1, `the upstream saw no echo request from the container's own address:\n${count.stdout}`);

    t.is((await lab.upstream(['ip', '-6', 'route', 'del', prefix])).code, 0);
    const bad = await run();
    t.is(bad.code, 1);
    t.is(bad.rows.egress.status, 'fail');
    t.regex(bad.rows.egress.detail, /upstream router must route 2001:db8:100::\/48/);
    t.regex(bad.rows.egress.fix ?? '', /ip -6 route add 2001:db8:100::\/48 via 2001:db8:1::2/);
    t.is(bad.rows['host-reach'].status, 'pass');
  });
});
}
