// Compose interpolation as Compose does it, and how lint judges interpolated values.
import test from 'ava';
import { interpolate, hasVariable, parseEnvFile } from '../../../src/lint/interpolate';
import { lintSources } from '../../../src/lint/engine';
import { parseSource } from '../../../src/lint/source';
import { fixCompose } from '../../../src/lint/fix';

test('defaults, unset vs empty, errors, $$ and nesting', (t) => {
  t.deepEqual(interpolate('${A:-x}'), { ok: true, value: 'x' });
  t.deepEqual(interpolate('${A-x}'), { ok: true, value: 'x' });
  t.deepEqual(interpolate('${A:-x}', { A: '' }), { ok: true, value: 'x' });
  t.deepEqual(interpolate('${A-x}', { A: '' }), { ok: true, value: '' });
  t.deepEqual(interpolate('${A}/64', { A: 'fd00::' }), { ok: true, value: 'fd00::/64' });
  t.deepEqual(interpolate('$A', { A: 'v' }), { ok: true, value: 'v' });
  t.deepEqual(interpolate('a$$b'), { ok: true, value: 'a$b' });
  t.deepEqual(interpolate('${A:-${B:-fd00::/64}}'), { ok: true, value: 'fd00::/64' });
  t.deepEqual(interpolate('${A:?need A}'), { ok: false, missing: ['A'] });
  t.deepEqual(interpolate('${A}'), { ok: false, missing: ['A'] });
  t.deepEqual(interpolate('${A:+on}'), { ok: false, missing: ['A'] });
  t.deepEqual(interpolate('${A:+on}', { A: '1' }), { ok: true, value: 'on' });
  t.true(hasVariable('${X}'));
  t.false(hasVariable('echo $$HOME'));
});

test('env files: comments, quotes, export', (t) => {
  t.deepEqual(parseEnvFile('# c\nexport A=1\nB="x y"\nC=z # note\n\nbad\n'), { A: '1', B: 'x y', C: 'z' });
});

const compose = (net: string) => `services:\n  web:\n    image: nginx\n    networks: [net]\nnetworks:\n  net:\n${net}`;

test('a value with a default is judged on the default: a bad default subnet is reported', (t) => {
  const r = lintSources([{ file: 'compose.yaml', text: compose('    enable_ipv6: ${E:-true}\n    ipam:\n      config:\n        - subnet: ${S:-fd00:1::1/64}\n') }]);
  t.deepEqual(r.findings.map((f) => f.rule), ['compose/subnet-invalid']);
});

test('enable_ipv6 from a variable with no default is not "missing"; an env value makes it judged', (t) => {
  const text = compose('    enable_ipv6: ${E}\n    ipam:\n      config:\n        - subnet: fd00:1::/64\n');
  t.deepEqual(lintSources([{ file: 'compose.yaml', text }]).findings.map((f) => f.rule), ['compose/interpolation-unresolved']);
  t.deepEqual(lintSources([{ file: 'compose.yaml', text }], { env: { E: 'true' } }).findings.map((f) => f.rule), []);
  t.deepEqual(lintSources([{ file: 'compose.yaml', text }], { env: { E: 'false' }, requireIpv6: true }).findings.map((f) => f.rule), ['compose/enable-ipv6-missing']);
});

test('--fix never rewrites an interpolated value', (t) => {
  const text = compose('    enable_ipv6: ${E:-false}\n');
  const doc = parseSource({ file: 'compose.yaml', text }).docs[0];
  t.is(fixCompose(doc, () => 'fd00:9::/64').text, text);
  const sub = compose('    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: ${S}\n');
  t.is(fixCompose(parseSource({ file: 'compose.yaml', text: sub }).docs[0], () => 'fd00:9::/64').text, sub);
});

test('ports are judged on their interpolated text; unknown ones are skipped', (t) => {
  const text = 'services:\n  web:\n    image: nginx\n    ports:\n      - "${BIND:-0.0.0.0}:8080:80"\n      - "${OTHER}:8081:80"\n    networks: [n]\nnetworks:\n  n:\n    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: fd8b:1c2d:3e4f:1::/64\n';
  t.deepEqual(lintSources([{ file: 'compose.yaml', text }]).findings.map((f) => `${f.line}:${f.col} ${f.rule}`), ['5:9 compose/port-ipv4-only', '6:9 compose/interpolation-unresolved']);
});

test('a Flannel ConfigMap with EnableIPv6 inside its JSON shows IPv6 intent', (t) => {
  const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kube-flannel-cfg\ndata:\n  net-conf.json: |\n    {"Network": "10.244.0.0/16", "EnableIPv6": true, "Backend": {"Type": "vxlan"}}\n';
  t.deepEqual(lintSources([{ file: 'flannel.yaml', text }]).findings.map((f) => f.rule), ['flannel/ipv6-network-missing']);
});
