// Text for people on a terminal: control characters that come with names (Docker networks, files lint reads, the
// state) are shown as visible escapes, so a name can neither send a terminal sequence (change the title, move the
// cursor, recolour the screen) nor start a line of its own. Pure; applied once per output path, where the text
// is rendered (the RunContext sinks, tables, doctor's and lint's renderers, errors, the agent's log).

// C0 (including ESC, which starts every escape sequence, and BEL, which ends OSC ones), DEL and C1 (U+0080-U+009F:
// a terminal may read U+009B as CSI and U+009D as OSC, with no ESC at all)
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
// JSON.stringify writes C0 as \u escapes already, but DEL and C1 as they are
const JSON_UNESCAPED = /[\u007f-\u009f]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** One value (a name, a table cell, a message built around names): every control character escaped, newlines too. */
export function escapeControls(value: string): string {
  return value.replace(CONTROLS, visible);
}

/** A whole text whose newlines are our own layout: every other control character escaped. */
export function terminalText(text: string): string {
  return text.replace(CONTROLS_BUT_NEWLINE, visible);
}

/** JSON.stringify whose output holds no raw control character: DEL and C1 as \u escapes (the same JSON value). */
export function terminalJson(value: unknown, indent?: number): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(JSON_UNESCAPED, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
