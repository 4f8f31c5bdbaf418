import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors';
import { DaemonJsonSyntaxError, goQuoteChar, lineColumn, parseDaemonJson } from '../../../src/daemon/parse';
import { cachedDockerd } from '../../../src/lab/versions';
import { run } from '../../../src/util/exec';

interface Bad { name: string; text: string; go: string; line: number; column: number; hint?: RegExp }

// Messages as dockerd 26.1 / 28.5 print them (checked against the real binaries in the last test).
const BAD: Bad[] = [
  { name: 'trailing comma in object', text: '{\n  "ipv6": true,\n}\n', go: "invalid character '}' looking for beginning of object key string", line: 3, column: 1, hint: /trailing comma/ },
  { name: 'trailing comma in array', text: '{"dns": ["1.1.1.1",]}', go: "invalid character ']' looking for beginning of value", line: 1, column: 20, hint: /trailing comma/ },
  { name: 'line comment', text: '{\n  "ipv6": true // on\n}', go: "invalid character '/' after object key:value pair", line: 2, column: 16, hint: /comment/ },
  { name: 'block comment first', text: '/* x */ {}', go: "invalid character '/' looking for beginning of value", line: 1, column: 1, hint: /comment/ },
  { name: 'hash comment', text: '{\n# c\n"ipv6": true}', go: "invalid character '#' looking for beginning of object key string", line: 2, column: 1, hint: /comment/ },
  { name: 'single quotes', text: "{'ipv6': true}", go: "invalid character '\\'' looking for beginning of object key string", line: 1, column: 2, hint: /double quotes/ },
  { name: 'NaN', text: '{"mtu": NaN}', go: "invalid character 'N' looking for beginning of value", line: 1, column: 9, hint: /NaN/ },
  { name: 'Infinity', text: '{"mtu": Infinity}', go: "invalid character 'I' looking for beginning of value", line: 1, column: 9 },
  { name: 'truncated literal', text: '{"ipv6": tru}', go: "invalid character '}' in literal true (expecting 'e')", line: 1, column: 13 },
  { name: 'capitalised literal', text: '{"ipv6": True}', go: "invalid character 'T' looking for beginning of value", line: 1, column: 10 },
  { name: 'garbage after the object', text: '{"ipv6": true} x', go: "invalid character 'x' after top-level value", line: 1, column: 16, hint: /one JSON object/ },
  { name: 'two objects', text: '{}\n{}', go: "invalid character '{' after top-level value", line: 2, column: 1 },
  { name: 'unterminated object', text: '{"ipv6": true', go: 'unexpected end of JSON input', line: 1, column: 14 },
  { name: 'unterminated string', text: '{"ipv6', go: 'unexpected end of JSON input', line: 1, column: 7 },
  { name: 'missing comma', text: '{\n  "a": 1\n  "b": 2\n}', go: "invalid character '\"' after object key:value pair", line: 3, column: 3, hint: /comma is missing/ },
  { name: 'missing colon', text: '{"a" 1}', go: "invalid character '1' after object key", line: 1, column: 6 },
  { name: 'unquoted key', text: '{ipv6: true}', go: "invalid character 'i' looking for beginning of object key string", line: 1, column: 2, hint: /quoted/ },
  { name: 'leading zero', text: '{"mtu": 01}', go: "invalid character '1' after object key:value pair", line: 1, column: 10 },
  { name: 'leading plus', text: '{"mtu": +1}', go: "invalid character '+' looking for beginning of value", line: 1, column: 9 },
  { name: 'bare decimal point', text: '{"mtu": 1.}', go: "invalid character '}' after decimal point in numeric literal", line: 1, column: 11 },
  { name: 'empty exponent', text: '{"mtu": 1e}', go: "invalid character '}' in exponent of numeric literal", line: 1, column: 11 },
  { name: 'lone minus', text: '{"mtu": -}', go: "invalid character '}' in numeric literal", line: 1, column: 10 },
  { name: 'tab inside a string', text: '{"labels": ["a\tb"]}', go: "invalid character '\\t' in string literal", line: 1, column: 15 },
  { name: 'bad escape', text: '{"data-root": "C:\\docker"}', go: "invalid character 'd' in string escape code", line: 1, column: 19, hint: /backslash/ },
  { name: 'short unicode escape', text: '{"a": "\\u12"}', go: "invalid character '\"' in \\u hexadecimal character escape", line: 1, column: 12 },
  { name: 'typographic quotes', text: '{\u201cipv6\u201d: true}', go: "invalid character '\u00e2' looking for beginning of object key string", line: 1, column: 2, hint: /typographic/ },
  { name: 'huge number', text: '{"mtu": 1e999}', go: 'json: cannot unmarshal number 1e999 into Go value of type float64', line: 1, column: 9 },
  { name: 'top-level array', text: '[]', go: 'json: cannot unmarshal array into Go value of type map[string]interface {}', line: 1, column: 1, hint: /one JSON object/ },
  { name: 'top-level string', text: '\n "x"', go: 'json: cannot unmarshal string into Go value of type map[string]interface {}', line: 2, column: 2 },
  { name: 'top-level number', text: '1', go: 'json: cannot unmarshal number into Go value of type map[string]interface {}', line: 1, column: 1 },
  { name: 'top-level true', text: 'true', go: 'json: cannot unmarshal bool into Go value of type map[string]interface {}', line: 1, column: 1 },
];

for (const c of BAD) {
  test(`rejects ${c.name} with Go's message, line and column`, (t) => {
    const e = t.throws(() => parseDaemonJson(c.text, '/etc/docker/daemon.json'), { instanceOf: DaemonJsonSyntaxError }) as DaemonJsonSyntaxError;
    t.true(e instanceof ConfigError);
    t.is(e.kind, 'config');
    t.is(e.exitCode, 5);
    t.true(e.goMessage.startsWith(c.go), `${e.goMessage} should start with ${c.go}`);
    t.is(`${e.line}:${e.column}`, `${c.line}:${c.column}`);
    t.true(e.message.startsWith(`/etc/docker/daemon.json:${c.line}:${c.column}: `));
    t.truthy(e.hint);
    if (c.hint) t.regex(e.hint!, c.hint);
  });
}

test('typographic quote error names the real character too', (t) => {
  const e = t.throws(() => parseDaemonJson('{\u201cipv6\u201d: true}')) as DaemonJsonSyntaxError;
  t.regex(e.message, /\u201c U\+201C/);
});

test('accepts a normal file and returns the value, text and layout', (t) => {
  const text = '{\n  "ipv6": true,\n  "fixed-cidr-v6": "fd00:1::/64",\n  "log-opts": {"max-size": "10m"},\n  "dns": ["::1", "1.1.1.1"],\n  "mtu": -1.5e2\n}\n';
  const r = parseDaemonJson(text);
  t.deepEqual(r.value, { ipv6: true, 'fixed-cidr-v6': 'fd00:1::/64', 'log-opts': { 'max-size': '10m' }, dns: ['::1', '1.1.1.1'], mtu: -150 });
  t.is(r.text, text);
  t.deepEqual(r.warnings, []);
  t.is(r.layout.kind, 'object');
  t.deepEqual(r.layout.members.map((m) => m.key), ['ipv6', 'fixed-cidr-v6', 'log-opts', 'dns', 'mtu']);
  const m = r.layout.members[1];
  t.is(text.slice(m.start, m.end), '"fixed-cidr-v6": "fd00:1::/64"');
  t.is(text.slice(m.valueStart, m.end), '"fixed-cidr-v6": "fd00:1::/64"'.slice(17));
  t.is(text[r.layout.open], '{');
  t.is(text[r.layout.close - 1], '}');
});

test('string escapes decode as Go does', (t) => {
  const r = parseDaemonJson('{"a": "x\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac"}');
  t.is(r.value.a, 'x"\\/\b\f\n\r\t\u00e9\u20ac');
});

test('__proto__ is an ordinary key, not a prototype change', (t) => {
  const r = parseDaemonJson('{"__proto__": {"polluted": true}, "ipv6": true}');
  t.deepEqual(Object.keys(r.value), ['__proto__', 'ipv6']);
  t.is(({} as Record<string, unknown>).polluted, undefined);
  t.is(Object.getPrototypeOf(r.value), Object.prototype);
});

test('duplicate keys: Go keeps the last, we warn with the lines', (t) => {
  const r = parseDaemonJson('{\n  "ipv6": false,\n  "debug": true,\n  "ipv6": true\n}');
  t.is(r.value.ipv6, true);
  t.deepEqual(r.duplicates, [{ key: 'ipv6', lines: [2, 4] }]);
  t.is(r.warnings.length, 1);
  t.regex(r.warnings[0], /"ipv6" appears 2 times \(lines 2, 4\).*last/);
});

test('nested duplicate keys are not top-level duplicates', (t) => {
  const r = parseDaemonJson('{"log-opts": {"a": "1", "a": "2"}}');
  t.deepEqual(r.duplicates, []);
  t.deepEqual(r.value['log-opts'], { a: '2' });
});

test('empty and whitespace-only files: no settings on 23.0+, refused with EOF on 20.10', (t) => {
  for (const text of ['', '  \n\t\r\n']) {
    const modern = parseDaemonJson(text, 'd.json', { dockerVersion: '28.5.2' });
    t.deepEqual(modern.value, {});
    t.is(modern.layout.kind, 'blank');
    t.deepEqual(modern.warnings, []);
    const unknown = parseDaemonJson(text, 'd.json');
    t.regex(unknown.warnings[0], /before 23\.0/);
    const e = t.throws(() => parseDaemonJson(text, 'd.json', { dockerVersion: '20.10.24+dfsg1' }), { instanceOf: ConfigError });
    t.regex(e!.message, /EOF/);
    t.regex(e!.hint!, /\{\}/);
  }
});

test('null is read as no settings (as Go unmarshals it into a map)', (t) => {
  const r = parseDaemonJson(' null\n');
  t.deepEqual(r.value, {});
  t.is(r.layout.kind, 'null');
  t.regex(r.warnings[0], /null/);
});

test('a UTF-8 BOM: accepted on 23.0+, refused on 20.10 with the byte Go names', (t) => {
  const text = '\ufeff{\n  "debug": true\n}';
  const r = parseDaemonJson(text, 'd.json', { dockerVersion: '26.1.5' });
  t.deepEqual(r.value, { debug: true });
  t.true(r.layout.bom);
  t.is(r.layout.members[0].start, 5); // after the BOM, '{', newline and two spaces
  t.regex(parseDaemonJson(text).warnings[0], /byte order mark/);
  const e = t.throws(() => parseDaemonJson(text, 'd.json', { dockerVersion: '20.10.24' }), { instanceOf: DaemonJsonSyntaxError }) as DaemonJsonSyntaxError;
  t.regex(e.goMessage, /invalid character 'ï' looking for beginning of value/);
  t.regex(e.hint!, /without BOM/);
});

test('columns count characters, not bytes or UTF-16 units', (t) => {
  t.deepEqual(lineColumn('{"é😀": x', 8), { line: 1, column: 8 });
  const e = t.throws(() => parseDaemonJson('{"é😀": x}')) as DaemonJsonSyntaxError;
  t.is(e.column, 8);
  t.deepEqual(lineColumn('a\r\nb', 3), { line: 2, column: 1 });
});

test('goQuoteChar matches Go quoteChar', (t) => {
  t.is(goQuoteChar("'"), "'\\''");
  t.is(goQuoteChar('"'), `'"'`);
  t.is(goQuoteChar('\n'), "'\\n'");
  t.is(goQuoteChar('\x01'), "'\\x01'");
  t.is(goQuoteChar('\\'), "'\\\\'");
  t.is(goQuoteChar('x'), "'x'");
  t.is(goQuoteChar('\ufeff'), "'ï'");
  t.is(goQuoteChar('\u0085'), "'Â'");
});

test('the parser agrees with real dockerd 26 (same words) and 28 (same verdict) on every case', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'daemon-parse-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const binaries = ['26', '28'].map((v) => cachedDockerd(v));
  for (const b of binaries) t.true(existsSync(b), `${b} is missing: run scripts/fetch-docker.sh (CI does)`);
  // Cases whose keys dockerd knows, so only syntax decides; plus accepted shapes.
  const good = ['', ' \n', '{}', 'null', '\ufeff{"debug": true}', '{"debug": true, "debug": false}'];
  let i = 0;
  for (const text of [...BAD.map((c) => c.text), ...good]) {
    const file = join(dir, `c${i++}.json`);
    writeFileSync(file, text.replace(/"(ipv6|a|b)"/g, '"debug"').replace(/ipv6:/, 'debug:'));
    const ours = (() => { try { parseDaemonJson(readFileSync(file, 'utf8'), file); return 'OK'; } catch (e) { return (e as DaemonJsonSyntaxError).goMessage ?? (e as Error).message; } })();
    for (const b of binaries) {
      const r = await run([b, '--validate', '--config-file', file], { okCodes: [1] });
      const theirs = r.code === 0 ? 'OK' : r.stderr;
      if (ours === 'OK') t.is(theirs, 'OK', `${b} on ${JSON.stringify(text)}: ${theirs}`);
      else if (b.includes('trixie')) t.true(theirs.includes(ours), `${b} on ${JSON.stringify(text)}: ours "${ours}", dockerd "${theirs.trim()}"`);
      // dockerd 28 is built with a newer Go whose JSON errors are worded differently: agree on refusing.
      else t.not(theirs, 'OK', `${b} accepted ${JSON.stringify(text)}, we refuse it: ${ours}`);
    }
  }
});
