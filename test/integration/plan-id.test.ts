// The plan shown is the plan applied, on a real dockerd: `enable --plan ID` and `apply --plan ID` run the
// plan a dry run printed, and refuse, changing nothing, when the host changed in between (daemon.json edited
// by hand; Docker networks created).
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { withLab } from '../helpers/lab';
import { must, saveRules } from './agent-lab';

const planOf = (out: string) => /^plan ([0-9a-f]{16}):/m.exec(out)?.[1];
const ENABLE = ['--prefix', '2001:db8:100::/48', '--mode', 'routed'];

test.serial('routed: enable --plan and apply --plan run the dry run\'s plan, or refuse when the host changed since', async (t) => {
  await withLab(t, { prefix: 'plan', docker: '28' }, async (lab) => {
    const dry1 = await must(lab.exec(['enable', '--dry-run', ...ENABLE]), 'enable --dry-run');
    const id1 = planOf(dry1);
    t.truthy(id1, dry1);
    t.regex(dry1, /ip6tables filter batch run before forwarding and the restart, exactly as shown/);
    // the host changes: an admin edits daemon.json, so the file enable would write is not the one the plan showed
    const cfg = lab.record.dockerd.configFile;
    writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(cfg, 'utf8') || '{}'), 'log-level': 'warn' }, null, 2));
    const daemonJson = readFileSync(cfg, 'utf8');
    const rules = await saveRules(lab);
    const refused = await lab.exec(['enable', '--yes', '--plan', id1!, ...ENABLE]);
    t.is(refused.code, 3, refused.stderr);
    t.regex(refused.stderr, new RegExp(`host changed since plan ${id1}`));
    t.is(readFileSync(cfg, 'utf8'), daemonJson, 'daemon.json untouched');
    t.is(await saveRules(lab), rules, 'no rule applied');
    const id2 = planOf(await must(lab.exec(['enable', '--dry-run', ...ENABLE]), 'enable --dry-run again'));
    t.not(id2, id1);
    await must(lab.exec(['enable', '--yes', '--plan', id2!, ...ENABLE]), 'enable --plan (the new plan)');
    t.regex(readFileSync(cfg, 'utf8'), /"log-level": "warn"/, 'the admin\'s key kept');
    t.regex(await saveRules(lab), /^-A D6-FORWARD -o docker0 -m comment --comment docker-ipv6 -j DROP$/m);

    // apply: a dry run's plan, then one more network before the apply
    await must(lab.docker(['network', 'create', '--ipv6', '--subnet', '2001:db8:100:6::/64', 'six']), 'network six');
    const dry = await must(lab.exec(['apply', '--dry-run']), 'apply --dry-run');
    const p1 = planOf(dry);
    t.regex(dry, /would change:[\s\S]*ip6tables-restore --noflush batch:/);
    await must(lab.docker(['network', 'create', '--ipv6', '--subnet', '2001:db8:100:7::/64', 'seven']), 'network seven');
    const before = await saveRules(lab);
    const r = await lab.exec(['apply', '--plan', p1!]);
    t.is(r.code, 3, r.stderr);
    t.regex(r.stderr, /host changed since plan .*nothing was changed/);
    t.is(await saveRules(lab), before, 'nothing applied');
    const dry2 = await must(lab.exec(['apply', '--dry-run', '--json']), 'apply --dry-run --json');
    const plan2 = JSON.parse(dry2) as { plan: string; batch: string };
    await must(lab.exec(['apply', '--plan', plan2.plan]), 'apply --plan (the new plan)');
    const after = await saveRules(lab);
    for (const line of plan2.batch.split('\n').filter((l) => l.startsWith('-A D6-FORWARD'))) t.true(after.includes(line), `applied: ${line}`);
    t.is(await must(lab.exec(['apply']), 'apply'), 'nothing to change');
  });
});
