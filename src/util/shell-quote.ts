// Quoting of one word for a shell (and for splitCommand in cli/globals.ts): only when needed, so the common case
// reads plainly. A word with control characters (a Docker network may be named with an escape sequence) is written
// in ANSI-C quotes, $'...' (bash, zsh, ksh, busybox sh), so a printed command is both harmless on the terminal and
// runnable as printed.

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function ansiC(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '\\' || c === "'") return `\\${c}`;
  if (c === '\n') return '\\n';
  if (c === '\t') return '\\t';
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code >= 0x80 && code <= 0x9f) return `\\u${code.toString(16).padStart(4, '0')}`;
  return c;
}

export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  if (CONTROL.test(arg)) return `$'${[...arg].map(ansiC).join('')}'`;
  return `'${arg.replace(/'/g, `'"'"'`)}'`;
}
