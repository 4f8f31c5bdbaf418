// The read-only firewall survey with a scripted runner: the commands it runs, what a missing tool answers, and
// that the legacy tables are never touched while the kernel has none.
import test from 'ava';
import { PreconditionError } from '../../../src/errors';
import { firewallSurvey } from '../../../src/host/firewall-survey';
import type { ExecOptions, ExecResult } from '../../../src/util/exec';

function runner(answers: Record<string, string | Error | { code: number; stdout: string }>) {
  const ran: string[] = [];
  const fn = async (argv: readonly string[], _o?: ExecOptions): Promise<ExecResult> => {
    const k = argv.join(' ');
    ran.push(k);
    const a = answers[k];
    if (a === undefined) throw new Error(`unexpected command ${k}`);
    if (a instanceof Error) throw a;
    return typeof a === 'string' ? { code: 0, stdout: a, stderr: '' } : { ...a, stderr: '' };
  };
  return { fn, ran };
}
const missing = (tool: string) => new PreconditionError(`${tool} is not installed (or not on PATH)`);

test('xtables: each variant and family by its own -save tool; legacy only when the kernel lists its tables', async (t) => {
  const r = runner({ 'ip6tables-nft-save': '*filter\n:FORWARD DROP [0:0]\nCOMMIT\n', 'iptables-legacy-save': '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j ACCEPT\nCOMMIT\n' });
  const proc: Record<string, string> = { '/proc/net/ip_tables_names': 'filter\n', '/proc/net/ip6_tables_names': '' };
  const s = firewallSurvey(r.fn, async (p) => proc[p]);
  t.deepEqual((await s.xtables(6, 'nft'))?.filter.chains, { FORWARD: 'DROP' });
  t.deepEqual((await s.xtables(4, 'legacy'))?.filter.rules, ['-A FORWARD -j ACCEPT']);
  t.is(await s.xtables(6, 'legacy'), undefined);
  t.deepEqual(r.ran, ['ip6tables-nft-save', 'iptables-legacy-save'], 'ip6tables-legacy-save never ran: no legacy IPv6 tables');
});

test('a tool that is not installed answers undefined; any other failure is an error', async (t) => {
  const r = runner({ 'iptables-nft-save': missing('iptables-nft-save'), 'nft -j list tables': missing('nft'), 'firewall-cmd --state': missing('firewall-cmd'), 'ip6tables-nft-save': new Error('exit 4') });
  const s = firewallSurvey(r.fn, async () => '', 'nft');
  t.is(await s.xtables(4, 'nft'), undefined);
  t.is(await s.nftTables(), undefined);
  t.is(await s.firewalldState(), undefined);
  await t.throwsAsync(s.xtables(6, 'nft'), { message: 'exit 4' });
});

test('nft tables and firewalld state', async (t) => {
  const r = runner({
    'nft -j list tables': JSON.stringify({ nftables: [{ metainfo: {} }, { table: { family: 'ip6', name: 'docker-ipv6', handle: 3 } }] }),
    'firewall-cmd --state': { code: 0, stdout: 'running\n' },
  });
  const s = firewallSurvey(r.fn, async () => '', 'nft');
  t.deepEqual((await s.nftTables())?.map((x) => `${x.family} ${x.name}`), ['ip6 docker-ipv6']);
  t.is(await s.firewalldState(), 'running');
  const stopped = firewallSurvey(runner({ 'firewall-cmd --state': { code: 252, stdout: 'not running\n' } }).fn, async () => '');
  t.is(await stopped.firewalldState(), 'not running');
});
