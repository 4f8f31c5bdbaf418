// The agent in routed and nat-by-us modes against a real dockerd: a new network gets its rules (and
// in routed mode the unreachable route for the rest of the prefix) within a measured latency; a dockerd
// restart is survived by reconnecting; the processes spawned per reconcile do not grow with networks.
import test from 'ava';
import { withLab, type Lab } from '../helpers/lab';
import { agentStatus, must, ourRuleLines, percentile, poll, routes, saveRules, startAgent } from './agent-lab';

/** Creates networks one at a time and measures `network create` returned -> rule present. */
async function measureNetworks(lab: Lab, n: number, ruleFor: (bridge: string) => string): Promise<{ createMs: number[]; lat: number[] }> {
  const createMs: number[] = [];
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const id = await must(lab.docker(['network', 'create', '--ipv6', `m${i}`]), 'network create');
    const at = performance.now();
    createMs.push(at - t0);
    const seen = await poll(`rules for m${i}`, async () => ((await saveRules(lab)).includes(ruleFor(`br-${id.slice(0, 12)}`)) ? performance.now() : undefined), 10_000, 2);
    lat.push(seen - at);
  }
  return { createMs, lat };
}

test.serial('routed: new networks get their rules, the prefix its unreachable route; dockerd restart; constant process count', async (t) => {
  await withLab(t, { prefix: 'agrt' }, async (lab) => {
    await must(lab.exec(['enable', '--yes', '--prefix', '2001:db8:100::/48', '--mode', 'routed']), 'enable');
    t.regex(await routes(lab), /^unreachable 2001:db8:100::\/48 /m, 'enable itself adds the route, before any pass');
    const agent = startAgent(t, lab, ['--interval', '1s']);
    await poll('the unreachable route', async () => /^unreachable 2001:db8:100::\/48 /m.test(await routes(lab)), 20_000, 50);
    await poll('a pass', async () => agentStatus(lab)?.lastReconcile, 10_000, 20);
    const spawned1 = agentStatus(lab)!.lastReconcile!.spawned;
    const { createMs, lat } = await measureNetworks(lab, 10, (br) => `-A D6-FORWARD -o ${br} -m comment --comment docker-ipv6 -j DROP`);
    t.log(`routed: docker network create p50 ${percentile(createMs, 50).toFixed(0)} ms; network create -> rules p50 ${percentile(lat, 50).toFixed(0)} ms p99 ${percentile(lat, 99).toFixed(0)} ms`);
    t.true(percentile(lat, 99) < Math.max(1000, 3 * percentile(createMs, 50)));
    // a tick with nothing to do spawns exactly one ip6tables-save, however many networks exist
    const passes = agentStatus(lab)!.counts.passes;
    await poll('an idle tick', async () => (agentStatus(lab)!.counts.passes > passes + 1 ? agentStatus(lab) : undefined), 5000, 50);
    t.log(`processes per reconcile: ${spawned1} with 1 network, ${agentStatus(lab)!.lastReconcile!.spawned} with 11 (idle)`);
    t.is(agentStatus(lab)!.lastReconcile!.spawned, 1);
    t.true(spawned1 <= 2);

    // dockerd restart: Docker re-creates its bridges; the agent reconnects and the state is right
    await must(lab.lab(['restart']), 'lab restart');
    await poll('reconnect', async () => agent.logs().some((l) => l.msg === 'reconnected to docker events'), 30_000, 50);
    await poll('state after restart', async () => {
      const s = await saveRules(lab);
      const ours = ourRuleLines(s);
      return ours.filter((l) => l.endsWith('-j D6-FORWARD')).length === 1 && s.includes('-A FORWARD -m comment --comment docker-ipv6 -j D6-FORWARD\n') && ours.filter((l) => / -o br-[0-9a-f]{12} -m comment --comment docker-ipv6 -j DROP$/.test(l)).length === 10; // one per network: its own drop
    }, 10_000, 50);
    t.regex(await routes(lab), /^unreachable 2001:db8:100::\/48 /m);
    t.is(agentStatus(lab)!.counts.reconnects >= 1, true);
    const ours = ourRuleLines(await saveRules(lab));
    t.deepEqual(ours.filter((l, i) => ours.indexOf(l) !== i), []);
    const a = await must(lab.exec(['apply']), 'apply');
    t.is(a, 'nothing to change', 'the agent left nothing for apply to do');
  });
});

test.serial('nat-by-us: a new network gets its masquerade; foreign nat rules stay', async (t) => {
  await withLab(t, { prefix: 'agnat', docker: '28', daemonJson: { 'iptables': false, 'default-address-pools': [{ base: '10.128.0.0/9', size: 24 }] } }, async (lab) => {
    await must(lab.exec(['enable', '--yes', '--prefix', 'fd00:77::/48', '--mode', 'nat']), 'enable');
    await must(lab.host(['ip6tables', '-t', 'nat', '-A', 'POSTROUTING', '-s', '2001:db8:dead::/64', '-m', 'comment', '--comment', 'foreign', '-j', 'MASQUERADE']), 'foreign rule');
    startAgent(t, lab, ['--interval', '1s', '--cleanup']);
    await poll('D6-NAT', async () => (await saveRules(lab)).includes('-A D6-NAT -s fd00:77::/64 ! -o docker0'), 20_000, 50);
    // enable wrote D6-NAT; events are served at once only from the view the agent's first pass leaves
    await poll('the agent\'s first pass', async () => agentStatus(lab)?.lastReconcile, 20_000, 20);
    const { createMs, lat } = await measureNetworks(lab, 5, (br) => `! -o ${br} -m comment --comment docker-ipv6 -j MASQUERADE`);
    t.log(`nat-by-us: docker network create p50 ${percentile(createMs, 50).toFixed(0)} ms; network create -> masquerade p50 ${percentile(lat, 50).toFixed(0)} ms p99 ${percentile(lat, 99).toFixed(0)} ms`);
    t.true(percentile(lat, 99) < Math.max(1000, 3 * percentile(createMs, 50)));
    const s = await saveRules(lab);
    t.true(s.includes('-A POSTROUTING -s 2001:db8:dead::/64 -m comment --comment foreign -j MASQUERADE'));
    t.regex(s, /^-A POSTROUTING -m comment --comment docker-ipv6 -j D6-NAT$/m);
    await must(lab.exec(['disable', '--yes']), 'disable');
    const after = await saveRules(lab);
    t.true(after.includes('-A POSTROUTING -s 2001:db8:dead::/64 -m comment --comment foreign -j MASQUERADE'));
    t.false(after.includes('D6-NAT'));
  });
});
