import test from 'ava';
import { corpusCases, headerOf, lintCase } from './corpus';
import { basename } from 'node:path';
import { RULES } from '../../../src/lint/rules';

const cases = corpusCases();

for (const c of cases) {
  test(`${c.rule} ${c.kind} ${basename(c.path)}: findings and positions as the fixture says`, (t) => {
    const want = headerOf(c.text).expect.sort();
    const got = lintCase(c).sort();
    t.deepEqual(got, want);
    if (c.kind === 'fail') t.true(got.some((g) => g.endsWith(` ${c.rule}`)), 'a failing case must trip its own rule');
    else t.deepEqual(got, [], 'a passing case is clean');
  });
}

test('every registered rule has a failing and a passing fixture', (t) => {
  for (const r of RULES) {
    t.true(cases.some((c) => c.rule === r.id && c.kind === 'fail'), `${r.id} fail`);
    t.true(cases.some((c) => c.rule === r.id && c.kind === 'pass'), `${r.id} pass`);
  }
});

test('rule ids are unique and name their family', (t) => {
  const ids = RULES.map((r) => r.id);
  t.is(new Set(ids).size, ids.length);
  for (const id of ids) t.regex(id, /^(file|ipv6|plan|compose|kubeadm|kind|capi|k8s|calico|flannel|cilium)\/[a-z0-9-]+$/);
});
