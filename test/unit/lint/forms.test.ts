// Forms real files use: merge keys and anchors, kind: List, Compose's driver_opts switch.
import test from 'ava';
import { lintSources } from '../../../src/lint/engine';

const rules = (file: string, text: string, opts = {}) => lintSources([{ file, text }], opts).findings.map((f) => `${f.line}:${f.col} ${f.rule}`);

test('YAML merge keys are resolved: a network inheriting enable_ipv6 and ipam through <<: is not "missing"', (t) => {
  const text = [
    'x-net: &v6net',
    '  enable_ipv6: true',
    '  ipam:',
    '    config:',
    '      - subnet: fd00:77::/64',
    'services:',
    '  web:',
    '    image: nginx',
    '    networks: [front]',
    'networks:',
    '  front:',
    '    <<: *v6net',
    '',
  ].join('\n');
  t.deepEqual(rules('compose.yaml', text), []);
});

test('kind: List items are linted one by one, at their own positions', (t) => {
  const text = [
    'apiVersion: v1',
    'kind: List',
    'items:',
    '  - apiVersion: v1',
    '    kind: Service',
    '    metadata:',
    '      name: a',
    '    spec:',
    '      ipFamily: IPv6',
    '  - apiVersion: projectcalico.org/v3',
    '    kind: IPPool',
    '    metadata:',
    '      name: p',
    '    spec:',
    '      cidr: 10.0.0.0/33',
    '',
  ].join('\n');
  t.deepEqual(rules('list.yaml', text), ['9:7 k8s/service-ipfamily-removed', '15:13 calico/cidr-invalid']);
});

test('an alias bomb or other library failure is a file/unparsable finding, not a crash', (t) => {
  const text = 'a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n';
  const r = lintSources([{ file: 'bomb.yaml', text }]);
  t.deepEqual(r.findings.map((f) => f.rule), ['file/unparsable']);
});

test('a multi-document file with one broken document: the good one is linted, the file reported once', (t) => {
  const text = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  ipFamily: IPv6\n---\nfoo: [\n';
  t.deepEqual(rules('two.yaml', text).sort(), ['6:3 k8s/service-ipfamily-removed', '9:1 file/unparsable'].sort());
});

test('a missing key is reported at its parent key, never at 1:1', (t) => {
  const text = '# Cilium values\n\nhubble:\n  enabled: true\nipv4:\n  enabled: true\n';
  t.deepEqual(rules('cilium-values.yaml', text, { requireIpv6: true }), ['3:1 cilium/ipv6-disabled']);
});

test('plan/fc00-not-ula suggests an RFC 4193 prefix derived from the file (the same on every run), keeping the length', (t) => {
  const text = 'services:\n  web:\n    image: nginx\n    networks: [n, m]\nnetworks:\n  n:\n    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: fc00::/64\n  m:\n    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: fc00:1::/64\n';
  const fixes = (file: string, body: string) => lintSources([{ file, text: body }]).findings.map((f) => /such as (\S+)/.exec(f.fix)?.[1]);
  const a = fixes('compose.yaml', text);
  t.is(a.length, 2);
  for (const s of a) t.regex(s!, /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
  t.deepEqual(fixes('compose.yaml', text), a, 'the same input gives the same suggestion');
  t.not(a[0], a[1], 'two flagged prefixes of one file get two different suggestions (taking both must not collide)');
  t.notDeepEqual(fixes('other/compose.yaml', text), a, 'another file gets its own');
  t.notDeepEqual(fixes('compose.yaml', `${text}# edited\n`), a, 'so does the same file with other content');
});

test('a null pool entry does not stop the other pools being checked', (t) => {
  const text = 'apiVersion: operator.tigera.io/v1\nkind: Installation\nmetadata:\n  name: default\nspec:\n  calicoNetwork:\n    ipPools:\n      - null\n      - cidr: fc00::/64\n';
  const r = lintSources([{ file: 'install.yaml', text }]);
  t.true(r.findings.some((f) => f.rule === 'plan/fc00-not-ula'));
});

test('enable_ipv6: false written down is respected next to IPv6 networks, unless --require-ipv6', (t) => {
  const text = 'services:\n  web:\n    image: nginx\n    networks: [v6, legacy]\nnetworks:\n  v6:\n    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: fd8b:1c2d:3e4f:1::/64\n  legacy:\n    enable_ipv6: false\n';
  t.deepEqual(rules('compose.yaml', text), []);
  t.deepEqual(rules('compose.yaml', text, { requireIpv6: true }), ['12:18 compose/enable-ipv6-missing']);
});

test('a CNI config (conflist or single plugin JSON) gets the address-plan rules', (t) => {
  const text = '{\n  "cniVersion": "1.0.0",\n  "name": "bridge",\n  "type": "bridge",\n  "ipam": {\n    "type": "host-local",\n    "ranges": [[{ "subnet": "10.85.0.0/16" }], [{ "subnet": "1100:200::/24" }]]\n  }\n}\n';
  t.deepEqual(rules('10-bridge.conflist.json', text), ['7:61 plan/reserved-space']);
});
