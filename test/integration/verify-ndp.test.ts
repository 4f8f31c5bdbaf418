// verify in NDP mode (dockerd 26, 29 with the nftables backend): a part of the on-link /64, no upstream change: verify passes, the upstream
// reaches the probe network directly, and verify fails with the proxy-entry reason once the entries are gone.
import test from 'ava';
import { withLab } from '../helpers/lab';
import { startAgent } from './agent-lab';
import { addressAt, parseCidr6 } from '../../src/model/ip';

interface Row { id: string; status: string; detail: string; fix?: string }

// 26, and 29 with its nftables backend (the agent writes our filter into our own nftables table)
for (const { v, fb } of [{ v: '26' }, { v: '29', fb: 'nftables' }]) {
test.serial(`verify in ndp mode on dockerd ${v}${fb ? ` (${fb} backend)` : ''}, with the agent`, async (t) => {
  await withLab(t, { docker: v, firewallBackend: fb, prefix: `vn${v}${fb?.[0] ?? ''}` }, async (lab) => {
    const prefix = '2001:db8:1:0:8000::/80';
    const en = await lab.exec(['enable', '--yes', '--prefix', prefix]);
    t.is(en.code, 0, en.stderr);
    t.regex(en.stdout, /mode ndp/);
    const net = await lab.exec(['network', 'create', '--json', 'n1']);
    t.is(net.code, 0, net.stderr);
    const run = async () => {
      const r = await lab.exec(['verify', '--json', '--network', 'n1'], { timeoutMs: 120_000 });
      const out = JSON.parse(r.stdout || '{"checks":[]}') as { checks: Row[] };
      return { code: r.code, rows: Object.fromEntries(out.checks.map((c) => [c.id, c])), raw: r };
    };
    // `network create` hooks the new subnet's gateway into the NDP proxy at once (reconcile)
    const proxies = await lab.host(['ip', '-6', 'neigh', 'show', 'proxy']);
    const gw = addressAt(parseCidr6(JSON.parse(net.stdout).ipv6.subnet)!, 1n);
    t.true(gw !== '' && proxies.stdout.includes(gw), `gateway ${gw} proxied: ${proxies.stdout} / ${net.stdout}`);
    // container addresses are proxied by the agent as containers start: run it as on a real host
    const agent = startAgent(t, lab, ['--interval', '2s']);
    const ok = await run();
    t.is(ok.code, 0, JSON.stringify(ok.rows, null, 1) + ok.raw.stderr);
    t.regex(ok.rows['egress-source'].detail, /container's own address 2001:db8:1:0:8000:/);

    // stop the agent and remove every proxy entry behind the tool's back: the probe's own entry is then missing too
    agent.signal('SIGTERM');
    await agent.exited;
    for (const line of (await lab.host(['ip', '-6', 'neigh', 'show', 'proxy'])).stdout.trim().split('\n').filter(Boolean)) {
      const [addr] = line.split(' ');
      await lab.host(['ip', '-6', 'neigh', 'del', 'proxy', addr, 'dev', 'eth0']);
    }
    // and the upstream forgets what it learnt, as a router would after its neighbour entries expire
    await lab.upstream(['ip', '-6', 'neigh', 'flush', 'all']);
    const bad = await run();
    t.is(bad.code, 1, JSON.stringify(bad.rows, null, 1));
    t.is(bad.rows.egress.status, 'fail');
    t.regex(`${bad.rows.egress.detail} ${bad.rows.egress.fix ?? ''}`, /proxy/i);
  });
});
}
