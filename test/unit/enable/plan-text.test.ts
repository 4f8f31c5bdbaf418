import test from 'ava';
import { planEnable, type EnableOptions } from '../../../src/setup/plan';
import { planJson, planText } from '../../../src/enable/plan-text';
import type { Step } from '../../../src/transaction/index';
import { snapshot } from '../../helpers/snapshot';

const opts: EnableOptions = { prefix: 'auto', mode: 'auto', randomDraws: [Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a])], sysctlConfPath: '/etc/sysctl.d/60-docker-ipv6.conf' };
const steps: Step[] = [
  { id: 'sysctl:x', describe: 'sysctl net.ipv6.conf.all.forwarding = 1', async apply() {} },
  { id: 'restart-dockerd', describe: 'restart dockerd and wait for it', async apply() {} },
];

test('the dry-run text: prefix, mode, the keys set (pools summarised), numbered steps, notes', (t) => {
  const text = planText(planEnable(snapshot(), opts), steps);
  t.regex(text, /^Prefix   fd12:3456:789a::\/48 \(generated ULA, RFC 4193\); default bridge fd12:3456:789a::\/64$/m);
  t.regex(text, /^Mode     nat \(NAT66 by Docker itself\)$/m);
  t.regex(text, /^ {2}"ipv6": true$/m);
  t.regex(text, /^ {2}"default-address-pools": 71 entries \(7 IPv4 written out \(Docker's built-in pools, which any pool list replaces\), 64 IPv6: fd12:3456:789a:1::\/64 \.\.\. fd12:3456:789a:40::\/64\)$/m);
  t.regex(text, /^ {2}1\. sysctl net\.ipv6\.conf\.all\.forwarding = 1$/m);
  t.regex(text, /^note: Docker 20\.10\.24\+dfsg1 needs "experimental": true/m);
  t.notRegex(text, /^\+\+\+ /m, 'no full diff without -v');
  t.regex(planText(planEnable(snapshot(), opts), steps, true), /^\+\+\+ \/etc\/docker\/daemon\.json \(after enable\)$/m);
});

test('the dry-run JSON carries the same plan as data, with the daemon.json diff', (t) => {
  const j = planJson(planEnable(snapshot(), opts), steps) as Record<string, any>;
  t.is(j.prefix, 'fd12:3456:789a::/48');
  t.is(j.mode, 'nat');
  t.deepEqual(j.steps.map((s: { id: string }) => s.id), ['sysctl:x', 'restart-dockerd']);
  t.regex(j.daemonJson.diff, /^\+.*"ipv6": true/m);
  t.is(j.daemonJson.set.ipv6, true);
  t.true(Array.isArray(j.sysctls) && j.sysctls.length === 3);
});

test('routed: the dry-run shows the exact filter batch the first step runs, and with -v the prediction after the restart', (t) => {
  const plan = planEnable(snapshot(), { ...opts, prefix: '2001:db8:2::/48' });
  const text = planText(plan, steps);
  t.regex(text, /^ip6tables filter batch run before forwarding and the restart, exactly as shown/m);
  const shown = text.split('\n\n').find((s) => s.startsWith('ip6tables filter batch run before'))!.split('\n').slice(1).join('\n');
  t.is(shown, plan.filterBatch!.trimEnd().split('\n').map((l) => `  ${l}`).join('\n'), 'the printed batch is plan.filterBatch, byte for byte');
  t.regex(text, /^ {2}-A D6-FORWARD -o docker0 -m comment --comment docker-ipv6 -j DROP$/m, 'the default bridge ends in its drop');
  t.regex(text, /^ {2}-A D6-FORWARD -i br-\+ -m comment --comment docker-ipv6 -j DROP\n {2}-I FORWARD 1 -m comment --comment docker-ipv6 -j D6-FORWARD$/m, 'the catch-alls end the chain');
  t.notRegex(shown, /2001:db8:2:/, 'no rule depends on the prefix');
  const verbose = planText(plan, steps, true);
  t.notRegex(verbose, /^ip6tables filter after the restart \(predicted/m, 'the restart changes nothing the filter depends on: no second batch is predicted');
  t.is(planEnable(snapshot(), opts).firewallAfterRestart.filter, undefined, 'nat mode: Docker filters, no batch of ours');
  t.is(planEnable(snapshot(), opts).filterBatch, undefined);
});
