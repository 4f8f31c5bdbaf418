// Every Compose, kubeadm, Kubernetes and CNI example of the guide (shared/seed), linted.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintSources } from '../../../src/lint/engine';

const DIR = join(__dirname, '../../fixtures/lint/guide');
const read = (f: string) => ({ file: f, text: readFileSync(join(DIR, f), 'utf8') });
const alone = (f: string) => lintSources([read(f)], { hostNetworks: [] }).findings.map((x) => `${x.line}:${x.col} ${x.severity} ${x.rule}`);

/** Findings of each example linted on its own. */
const EXPECTED: Record<string, string[]> = {
  'compose-example.yml': ['2:1 warning compose/version-obsolete', '11:9 info compose/port-ipv6-only'],
  'compose-ports.yml': [
    // a port's host address asks nothing of the network (Docker's proxy serves it from the host): no IPv6 intent,
    // so neither enable_ipv6 on the implicit default network nor a dual-stack twin of "0.0.0.0:8080:80" is asked for
    '3:3 info ipv6/no-intent',
    '8:9 info compose/port-ipv6-only', // "[::]:8081:80"
  ],
  'kubeadm-config.yaml': [], // dual-stack and clean
  'pod.yaml': [],
  'service-dual.yaml': [],
  'service-v4.yaml': [], // SingleStack on purpose
  'service-v6.yaml': [],
  'service-lb.yaml': [],
  'ingress-nginx-service.yaml': [],
  'networkpolicy.yaml': [],
  'calico-ippools.yaml': ['19:3 info calico/ula-pool-no-nat'],
  'flannel-configmap.yaml': ['11:7 error flannel/enable-ipv6-missing'], // IPv6Network without EnableIPv6
  'cilium-values.yaml': ['6:1 warning cilium/tunnel-removed'],
  'test-app.yaml': [],
};

test('the fixture folder holds exactly the examples listed here', (t) => {
  t.deepEqual(readdirSync(DIR).sort(), Object.keys(EXPECTED).sort());
});

for (const [file, want] of Object.entries(EXPECTED)) {
  test(`guide example ${file}`, (t) => {
    t.deepEqual(alone(file), want);
    t.regex(read(file).text.split('\n')[0], /^# From the guide .*section ".+", guide lines \d+-\d+\.$/);
  });
}

test('guide examples together: the dual-stack intent flags the IPv6-only egress rule', (t) => {
  const r = lintSources(Object.keys(EXPECTED).map(read), { hostNetworks: [] });
  t.true(r.dualStack);
  const extra = r.findings.filter((f) => f.file === 'networkpolicy.yaml').map((f) => `${f.line}:${f.col} ${f.rule}`);
  t.deepEqual(extra, ['19:17 k8s/netpol-single-family']);
  // the SingleStack Services are respected in the dual-stack run, and said so once per file
  const chosen = r.findings.filter((f) => f.rule === 'k8s/single-family-choice').map((f) => `${f.file}:${f.line}:${f.col} ${f.severity}`);
  t.deepEqual(chosen, ['service-v4.yaml:7:3 info', 'service-v6.yaml:7:3 info']);
  t.is(r.findings.length, Object.values(EXPECTED).flat().length + 3);
});

test('a Service without ipFamilyPolicy is flagged next to the guide kubeadm config', (t) => {
  const svc = { file: 'svc.yaml', text: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  selector:\n    app: api\n  ports:\n    - port: 80\n' };
  t.deepEqual(lintSources([svc]).findings, []);
  const r = lintSources([read('kubeadm-config.yaml'), svc]);
  t.deepEqual(r.findings.map((f) => `${f.file}:${f.line}:${f.col} ${f.rule}`), ['svc.yaml:5:1 k8s/service-ipfamilypolicy-missing']);
});
