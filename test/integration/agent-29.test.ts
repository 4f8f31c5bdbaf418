// The agent on Docker 29 with its nftables backend (routed): our rules live in table ip6 docker-ipv6 and follow
// Docker's events there -- a new network gets its block, a published port opens on a container start while an
// unpublished one stays closed, a flushed chain comes back, kill -9 and a second agent leave no duplicates, and
// disable removes the table. The same engine runs on ip6tables in agent-routed/agent-ndp.
import test from 'ava';
import { withLab, type Lab } from '../helpers/lab';
import { nftBinary } from '../../src/host/nftables';
import { agentStatus, must, ourNftTable, poll, startAgent } from './agent-lab';

const PREFIX = '2001:db8:300::/48';
const IMG = 'local/busybox:1';

/** What the upstream reads from addr:port (one nc try), '' when nothing answers. */
async function fromUpstream(lab: Lab, addr: string, port: number): Promise<string> {
  return (await lab.upstream(['busybox', 'nc', '-w2', addr, String(port)], { input: '' })).stdout;
}

test.serial('nftables backend, routed: the agent keeps our nftables table in step with Docker; flush, kill -9, disable', async (t) => {
  await withLab(t, { docker: '29', firewallBackend: 'nftables', prefix: 'ag29' }, async (lab) => {
    await must(lab.exec(['enable', '--yes', '--prefix', PREFIX, '--mode', 'routed']), 'enable');
    t.is((await lab.upstream(['ip', '-6', 'route', 'add', PREFIX, 'via', lab.record.addresses.host6])).code, 0);
    t.notRegex((await lab.host(['ip6tables-save'])).stdout, /D6-FORWARD/, 'nothing of ours in ip6tables');
    let agent = startAgent(t, lab, ['--interval', '1s']);
    await poll('a first pass', async () => agentStatus(lab)?.lastReconcile, 20_000, 50);

    // a new network and two containers on it: the published port opens, the other stays closed
    const id = await must(lab.docker(['network', 'create', '--ipv6', 'app']), 'network create');
    const br = `br-${id.slice(0, 12)}`;
    await poll(`our block for ${br}`, async () => (await ourNftTable(lab)).includes(`oifname "${br}" drop comment "docker-ipv6"`), 10_000, 20);
    await must(lab.docker(['run', '-d', '--name', 'web', '--network', 'app', '-p', '8080:80', IMG, 'sh', '-c', 'while true; do echo hello | nc -l -p 80; done']), 'run web');
    await must(lab.docker(['run', '-d', '--name', 'closed', '--network', 'app', IMG, 'sh', '-c', 'while true; do echo secret | nc -l -p 81; done']), 'run closed');
    const addr = async (c: string) => must(lab.docker(['inspect', c, '--format', '{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}}{{end}}']), 'inspect');
    const [web, closed] = [await addr('web'), await addr('closed')];
    await poll('the published port in our table', async () => (await ourNftTable(lab)).includes(`ip6 daddr ${web} tcp dport 80 accept`), 10_000, 20);
    t.regex(await poll('the published port from upstream', async () => { const o = await fromUpstream(lab, web, 80); return o.includes('hello') ? o : undefined; }, 10_000, 200), /hello/);
    // control first: the unpublished listener answers the host itself, so silence upstream means closed
    t.regex((await lab.host(['busybox', 'nc', '-w3', closed, '81'], { input: '' })).stdout, /secret/, 'the listener runs');
    t.notRegex(await fromUpstream(lab, closed, 81), /secret/, 'an unpublished port is closed to the world');

    // someone flushes our chain: the next tick puts it back, closed at its end again
    const full = await ourNftTable(lab);
    await must(lab.host([nftBinary(), 'flush', 'chain', 'ip6', 'docker-ipv6', 'D6-FORWARD']), 'nft flush');
    await poll('the chain restored', async () => (await ourNftTable(lab)) === full, 10_000, 50);

    // kill -9, then a new agent and two applies: nothing doubled, nothing left to do
    agent.signal('SIGKILL');
    await agent.exited;
    agent = startAgent(t, lab, ['--interval', '1s']);
    await poll('a pass of the new agent', async () => (agentStatus(lab)?.pid === agent.pid ? agentStatus(lab)?.lastReconcile : undefined), 20_000, 50);
    t.is(await ourNftTable(lab), full, 'the same table, no duplicate rule');
    t.is(await must(lab.exec(['apply']), 'apply'), 'nothing to change');
    agent.signal('SIGTERM');
    await agent.exited;

    await must(lab.docker(['rm', '-f', 'web', 'closed']), 'rm');
    await must(lab.exec(['disable', '--yes']), 'disable');
    t.is(await ourNftTable(lab), '', 'our table is gone');
    t.regex((await lab.host([nftBinary(), 'list', 'tables'])).stdout, /ip6 docker-bridges/, "Docker's own table is still there");
  });
});
