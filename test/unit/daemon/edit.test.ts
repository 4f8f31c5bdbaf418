import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors';
import { detectFormat, removeKeys, restoreKeys, setKeys } from '../../../src/daemon/edit';
import { ABSENT, isAbsent, type DaemonJsonUndo } from '../../../src/model/state';
import { parseDaemonJson } from '../../../src/daemon/parse';
import { cachedDockerd } from '../../../src/lab/versions';
import { run } from '../../../src/util/exec';

const SHAPES = join(__dirname, '../../fixtures/daemon/shapes');
const shapes = readdirSync(SHAPES).filter((f) => f.endsWith('.json')).sort();

const OURS_20 = {
  ipv6: true,
  'fixed-cidr-v6': 'fd12:3456:789a:1::/64',
  ip6tables: true,
  experimental: true,
  'default-address-pools': [{ base: '172.17.0.0/16', size: 24 }, { base: 'fd12:3456:789a::/48', size: 64 }],
};
const OURS_28 = { ipv6: true, 'fixed-cidr-v6': 'fd12:3456:789a:1::/64' };

const roundTrip = (undo: DaemonJsonUndo) => JSON.parse(JSON.stringify(undo)) as DaemonJsonUndo;

for (const file of shapes) {
  for (const [label, values] of [['20.10 keys', OURS_20], ['28 keys', OURS_28]] as const) {
    test(`${file}: set ${label} then restore gives the original bytes`, (t) => {
      const original = readFileSync(join(SHAPES, file), 'utf8');
      const before = parseDaemonJson(original);
      const r = setKeys(original, values);
      t.true(r.changed);
      const after = parseDaemonJson(r.text);
      t.deepEqual(after.duplicates, []);
      for (const [k, v] of Object.entries(values)) t.deepEqual(after.value[k], v);
      for (const k of Object.keys(before.value)) if (!(k in values)) t.deepEqual(after.value[k], before.value[k], `key ${k} kept`);
      t.is(r.text.startsWith('\ufeff'), original.startsWith('\ufeff'));
      t.is(r.text.includes('\r\n'), original.includes('\r\n'));
      if (original.includes('\r\n')) t.false(/[^\r]\n/.test(r.text), 'no bare LF in a CRLF file');
      t.is(restoreKeys(r.text, roundTrip(r.undo)), original);
      // Idempotent: the same values again change nothing.
      const again = setKeys(r.text, values);
      t.false(again.changed);
      t.is(again.text, r.text);
    });
  }
}

test('an existing value is replaced in place; every byte outside it is kept', (t) => {
  const original = readFileSync(join(SHAPES, 'existing-ipv6-keys.json'), 'utf8');
  const r = setKeys(original, { ipv6: true });
  t.is(r.text, original.replace('"ipv6": false', '"ipv6": true'));
  t.deepEqual(r.undo.previous.ipv6, { value: false, raw: 'false' });
  const pools = setKeys(original, { 'default-address-pools': [{ base: '172.30.0.0/16', size: 24 }, { base: 'fd00:1::/48', size: 64 }] });
  const start = original.indexOf('[');
  const end = original.indexOf(']') + 1;
  t.is(pools.text.slice(0, start), original.slice(0, start));
  t.is(pools.text.slice(pools.text.length - (original.length - end)), original.slice(end));
  t.is(restoreKeys(pools.text, pools.undo), original, 'the multi-line array comes back exactly as it was written');
});

test('tabs, four spaces and compact files: new keys follow the file\'s style', (t) => {
  const tabs = setKeys(readFileSync(join(SHAPES, 'tabs.json'), 'utf8'), { ipv6: true, 'default-address-pools': [{ base: 'fd00::/48', size: 64 }] }).text;
  t.true(tabs.includes('\n\t"ipv6": true,\n\t"default-address-pools": [\n\t\t{\n\t\t\t"base": "fd00::/48",'));
  const crlf = setKeys(readFileSync(join(SHAPES, 'crlf-four-space.json'), 'utf8'), { ipv6: true }).text;
  t.true(crlf.includes('],\r\n    "ipv6": true\r\n}\r\n'));
  t.is(setKeys('{"debug":true}', { ipv6: true }).text, '{"debug":true,"ipv6":true}');
  t.is(setKeys('{ "debug": true }', { ipv6: true }).text, '{ "debug": true, "ipv6": true }');
  t.is(setKeys('', { ipv6: true }).text, '{\n  "ipv6": true\n}\n');
  t.is(setKeys('{}', { ipv6: true }).text, '{\n  "ipv6": true\n}');
  t.is(setKeys('null\n', { ipv6: true }).text, '{\n  "ipv6": true\n}\n');
  t.is(setKeys('{\r\n}\r\n', { ipv6: true }).text, '{\r\n  "ipv6": true\r\n}\r\n');
});

test('detectFormat reads indentation, line ending, separator and colon spacing', (t) => {
  t.like(detectFormat('{\n\t"a": 1,\n\t"b": 2\n}'), { eol: '\n', indent: '\t', multiline: true, separator: ',\n\t', colon: ': ' });
  t.like(detectFormat('{\r\n    "a":1\r\n}'), { eol: '\r\n', indent: '    ', separator: ',\r\n    ', colon: ':' });
  t.like(detectFormat('{"a":1}'), { multiline: false, separator: ',', colon: ':' });
  t.like(detectFormat('{\n  "a": 1\n  , "b": 2}'), { separator: '\n  , ', multiline: true });
});

test('the undo record is plain JSON: ABSENT and previous values', (t) => {
  const r = setKeys('{\n  "ipv6": false\n}\n', { ipv6: true, 'fixed-cidr-v6': 'fd00:1::/64' });
  t.deepEqual(roundTrip(r.undo), { previous: { ipv6: { value: false, raw: 'false' }, 'fixed-cidr-v6': { absent: true } } });
  t.true(isAbsent(roundTrip(r.undo).previous['fixed-cidr-v6']));
  t.true(isAbsent(ABSENT));
  t.false(isAbsent({ value: 1 }));
  const empty = setKeys('{ }\n', { ipv6: true });
  t.is(empty.undo.emptyText, '{ }\n');
});

test('restore after someone else appended a key keeps their key and removes ours', (t) => {
  const r = setKeys('{}\n', { ipv6: true, 'fixed-cidr-v6': 'fd00:1::/64' });
  const theirs = r.text.replace('\n}', ',\n  "debug": true\n}');
  t.deepEqual(parseDaemonJson(theirs).value, { ipv6: true, 'fixed-cidr-v6': 'fd00:1::/64', debug: true });
  t.is(restoreKeys(theirs, r.undo), '{\n  "debug": true\n}\n');
});

test('restore puts back a previous value someone removed meanwhile', (t) => {
  const original = '{\n  "ipv6": false,\n  "debug": true\n}\n';
  const r = setKeys(original, { ipv6: true });
  const removed = removeKeys(r.text, ['ipv6']).text;
  t.is(removed, '{\n  "debug": true\n}\n');
  const back = restoreKeys(removed, r.undo);
  t.deepEqual(parseDaemonJson(back).value, { debug: true, ipv6: false });
  t.is(back, '{\n  "debug": true,\n  "ipv6": false\n}\n');
});

test('removeKeys removes first, middle and last members cleanly and records them', (t) => {
  const text = '{\n  "a": 1,\n  "b": [1, 2],\n  "c": 3\n}\n';
  t.is(removeKeys(text, ['a']).text, '{\n  "b": [1, 2],\n  "c": 3\n}\n');
  t.is(removeKeys(text, ['b']).text, '{\n  "a": 1,\n  "c": 3\n}\n');
  t.is(removeKeys(text, ['c']).text, '{\n  "a": 1,\n  "b": [1, 2]\n}\n');
  const all = removeKeys(text, ['a', 'b', 'c', 'zzz']);
  t.is(all.text, '{}\n');
  t.deepEqual(all.undo.previous, { a: { value: 1, raw: '1' }, b: { value: [1, 2], raw: '[1, 2]' }, c: { value: 3, raw: '3' }, zzz: ABSENT });
  t.deepEqual(parseDaemonJson(restoreKeys(all.text, all.undo)).value, { a: 1, b: [1, 2], c: 3 });
  t.false(removeKeys(text, ['zzz']).changed);
});

test('a key that appears twice is refused, not guessed', (t) => {
  const text = '{\n  "ipv6": false,\n  "ipv6": true\n}';
  const e = t.throws(() => setKeys(text, { ipv6: true }), { instanceOf: ConfigError });
  t.regex(e!.message, /"ipv6" appears 2 times \(lines 2, 3\)/);
  t.regex(e!.hint!, /keep one/);
  t.throws(() => removeKeys(text, ['ipv6']), { instanceOf: ConfigError });
  // Other keys can still be set.
  t.true(setKeys(text, { debug: true }).changed);
});

test('a malformed file is refused before any edit', (t) => {
  t.throws(() => setKeys('{"a": 1,}', { ipv6: true }), { instanceOf: ConfigError, message: /1:9: invalid character '}'/ });
});

test('values that are not JSON are a programming error', (t) => {
  t.throws(() => setKeys('{}', { mtu: Number.NaN }), { instanceOf: TypeError });
  t.throws(() => setKeys('{"a":1}', { a: undefined }), { instanceOf: TypeError });
});

test('strings with quotes, backslashes and non-ASCII are escaped correctly', (t) => {
  const r = setKeys('{}', { labels: ['a="b\\c"', 'ünï'] });
  t.deepEqual(parseDaemonJson(r.text).value.labels, ['a="b\\c"', 'ünï']);
});

test('every edited shape is accepted by real dockerd 28 --validate', async (t) => {
  const d28 = cachedDockerd('28');
  t.true(existsSync(d28), `${d28} is missing: run scripts/fetch-docker.sh (CI does)`);
  const dir = mkdtempSync(join(tmpdir(), 'daemon-edit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const file of shapes) {
    const out = join(dir, file);
    writeFileSync(out, setKeys(readFileSync(join(SHAPES, file), 'utf8'), OURS_20).text);
    const r = await run([d28, '--validate', '--config-file', out], { okCodes: [1] });
    t.is(r.code, 0, `${file}: ${r.stderr}`);
  }
});

test('randomised shapes: set then restore is byte-identical (500 cases, fixed seed)', (t) => {
  let seed = 12345;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)];
  const keys = ['ipv6', 'fixed-cidr-v6', 'ip6tables', 'experimental', 'default-address-pools', 'debug', 'mtu', 'log-opts', 'dns'];
  const vals: unknown[] = [true, false, 1500, 'fd00::/64', [], [1, 'x'], { a: { b: [] } }, null, 'ü"\\'];
  for (let i = 0; i < 500; i++) {
    const obj: Record<string, unknown> = {};
    for (let n = rnd(5); n > 0; n--) obj[pick(keys)] = pick(vals);
    const indent = pick(['', '  ', '    ', '\t', 1]);
    let text = JSON.stringify(obj, null, indent as string);
    if (rnd(2)) text = text.replace(/\n/g, '\r\n');
    text = pick(['', ' ', '\n']) + text + pick(['', '\n', '\n\n', '  ']);
    const values: Record<string, unknown> = {};
    for (let n = 1 + rnd(4); n > 0; n--) values[pick(keys)] = pick(vals);
    const r = setKeys(text, values);
    const after = parseDaemonJson(r.text).value;
    t.deepEqual(after, { ...obj, ...values }, `case ${i}: ${JSON.stringify(text)}`);
    t.is(restoreKeys(r.text, roundTrip(r.undo)), text, `case ${i}: ${JSON.stringify(text)} with ${JSON.stringify(values)}`);
  }
});
