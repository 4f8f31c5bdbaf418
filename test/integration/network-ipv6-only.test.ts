// network create --ipv6-only on real daemons: Docker 28 and 29 (nftables) make an IPv6-only network that ls shows with
// IPv4 off and verify passes on (no check of verify needs IPv4); Docker 26 is refused before anything changes.
import test from 'ava';
import { withLab, type Lab } from '../helpers/lab';

async function json<T>(lab: Lab, args: string[]): Promise<T> {
  const r = await lab.exec([...args, '--json'], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${args.join(' ')} failed (${r.code}): ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

for (const [version, backend] of [['28', undefined], ['29', 'nftables']] as const) {
  test.serial(`network create --ipv6-only, ls and verify on dockerd ${version}${backend ? ` (${backend})` : ''}`, async (t) => {
    await withLab(t, { docker: version, firewallBackend: backend, prefix: `dd6o${version}` }, async (lab) => {
      const en = await lab.exec(['enable', '--yes']);
      t.is(en.code, 0, en.stderr);
      const made = await json<{ created: boolean; ipv4: unknown; ipv6Only: boolean; ipv6: { subnet: string } }>(lab, ['network', 'create', '--ipv6-only', 'v6only']);
      t.true(made.created);
      t.is(made.ipv4, null);
      t.true(made.ipv6Only);
      // Docker itself: EnableIPv4 false, one IPv6 subnet and no IPv4 one
      const inspect = (await lab.docker(['network', 'inspect', 'v6only', '--format', '{{.EnableIPv4}} {{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{end}}'])).stdout.trim();
      t.is(inspect, `false true ${made.ipv6.subnet}`);
      const ls = await json<{ networks: Array<{ name: string; ipv4: string[]; ipv4Enabled: boolean; ipv6Status: string }> }>(lab, ['network', 'ls']);
      t.deepEqual(ls.networks.find((n) => n.name === 'v6only'), { name: 'v6only', driver: 'bridge', ipv4: [], ipv6: [made.ipv6.subnet], ipv6Status: 'on (IPv6-only)', managed: true, ipv4Enabled: false } as never);
      t.regex((await lab.exec(['network', 'ls'])).stdout, /v6only +bridge +off \(IPv6-only\)/);
      const v = await json<{ ok: boolean; ipv6Only: boolean; checks: Array<{ id: string; status: string; detail: string }> }>(lab, ['verify', '--network', 'v6only']);
      t.true(v.ipv6Only);
      t.true(v.ok, JSON.stringify(v.checks.filter((c) => c.status !== 'pass')));
      t.deepEqual(v.checks.filter((c) => c.status !== 'pass').map((c) => c.id), []);
    });
  });
}

test.serial('network create --ipv6-only on dockerd 26: refused (exit 3) before any change', async (t) => {
  await withLab(t, { docker: '26', prefix: 'dd6o26' }, async (lab) => {
    const before = (await lab.docker(['network', 'ls', '-q'])).stdout;
    const r = await lab.exec(['network', 'create', '--ipv6-only', 'v6only']);
    t.is(r.code, 3);
    t.regex(r.stderr, /--ipv6-only needs Docker 28\.0 or later \(API 1\.48\); this daemon is Docker 26\.1\.\d+\S* \(API 1\.45\).*nothing was created/);
    t.is((await lab.docker(['network', 'ls', '-q'])).stdout, before);
  });
});
