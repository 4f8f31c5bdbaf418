import test from 'ava';
import { escapeControls, terminalJson, terminalText } from '../../../src/util/terminal';
import { shellQuote } from '../../../src/util/shell-quote';
import { renderTable } from '../../../src/util/table';
import { renderError, UsageError } from '../../../src/errors';

// every code point a terminal may act on: C0, DEL, C1
const CONTROLS = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i)].map((c) => String.fromCharCode(c));
const RAW = /[\u0000-\u001f\u007f-\u009f]/;

test('escapeControls leaves no control character: ESC sequences, BEL, DEL, C1 and newlines become visible escapes', (t) => {
  t.is(escapeControls('evil\u001b]0;pwned\u0007x'), 'evil\\x1b]0;pwned\\x07x', 'an OSC title sequence is shown, not run');
  t.is(escapeControls('e2\u001b[31mred'), 'e2\\x1b[31mred');
  t.is(escapeControls('c1\u009bx\u009d'), 'c1\\u009bx\\u009d', 'C1 CSI and OSC need no ESC');
  t.is(escapeControls('nl\nx\ttab\rcr\u007fdel\u0000'), 'nl\\nx\\ttab\\rcr\\x7fdel\\x00');
  for (const c of CONTROLS) t.false(RAW.test(escapeControls(`a${c}b`)), `U+${c.charCodeAt(0).toString(16)}`);
  t.is(escapeControls('plain-name_1.2 ünïcødé ✓'), 'plain-name_1.2 ünïcødé ✓', 'printable text, Unicode included, is untouched');
  t.is(escapeControls('\u00a0\u0100'), '\u00a0\u0100', 'the first code points after C1 are printable');
});

test('terminalText keeps the layout\'s newlines and escapes every other control character', (t) => {
  t.is(terminalText('line 1\nnetwork evil\u001b]0;x\u0007\n'), 'line 1\nnetwork evil\\x1b]0;x\\x07\n');
  for (const c of CONTROLS.filter((x) => x !== '\n')) t.false(RAW.test(terminalText(`a${c}b`)), `U+${c.charCodeAt(0).toString(16)}`);
});

test('terminalJson is the same JSON value with no raw control character (JSON.stringify leaves DEL and C1 raw)', (t) => {
  const value = { name: `x${CONTROLS.join('')}y`, list: ['\u009b2J', 'ok'], n: 1 };
  t.true(RAW.test(JSON.stringify(value)), 'the case this guards against');
  for (const indent of [undefined, 2]) {
    const text = terminalJson(value, indent);
    t.false(RAW.test(indent ? text.replace(/\n/g, '') : text), 'only the indentation\'s newlines');
    t.deepEqual(JSON.parse(text), value);
  }
  t.is(terminalJson({ a: 'plain' }, 2), JSON.stringify({ a: 'plain' }, null, 2));
});

test('a table cell cannot break the table or the terminal', (t) => {
  const table = renderTable(['NAME', 'DRIVER'], [['evil\u001b]0;pwned\u0007x', 'bridge'], ['nl\nx', 'bridge'], ['ok', 'bridge']]);
  t.false(RAW.test(table.replace(/\n/g, '')));
  t.is(table.split('\n').length, 4, 'one line per row');
  t.deepEqual(table.split('\n').map((l) => l.indexOf('bridge')), [-1, 23, 23, 23], 'columns stay aligned on the escaped width');
});

test('shellQuote: plain words as they are, others quoted, control characters in ANSI-C quotes that bash reads back', async (t) => {
  t.is(shellQuote('net-1_a.b'), 'net-1_a.b');
  t.is(shellQuote('sp x'), "'sp x'");
  t.is(shellQuote("it's"), `'it'"'"'s'`);
  const hostile = 'evil\u001b]0;pwned\u0007x\'\\\n\u009b';
  const q = shellQuote(hostile);
  t.is(q, "$'evil\\x1b]0;pwned\\x07x\\'\\\\\\n\\u009b'");
  t.false(RAW.test(q));
  const { capture } = await import('../../helpers/lab');
  const r = await capture(['bash', '-c', `printf %s ${q}`], { env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } });
  t.is(r.stdout, hostile, 'bash turns the printed word back into the name');
});

test('errors: the message and hint of a refusal are shown escaped', (t) => {
  const { text } = renderError(new UsageError('no network named evil\u001b]0;pwned\u0007x', 'list them: docker ipv6 network ls'), false);
  t.is(text, 'docker ipv6: error: no network named evil\\x1b]0;pwned\\x07x\n  hint: list them: docker ipv6 network ls\n');
});
