// The one rule for --restart-command (and every command the tool prints or journals): words split as a shell
// splits them (whitespace; '...' and "..." quote; a backslash escapes the next character), run without a shell
// (no pipes, &&, $VARIABLES or globs: give `sh -c '...'` for those). joinCommand writes argv back so that
// splitCommand reads exactly that argv again.
import { UsageError } from '../errors';

/** Split a command string into argv without a shell: whitespace, '...' and "..." quoting, backslash escapes. */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let has = false;
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < cmd.length) cur += cmd[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") { quote = ch; has = true; }
    else if (/\s/.test(ch)) { if (has || cur) out.push(cur); cur = ''; has = false; }
    else if (ch === '\\' && i + 1 < cmd.length) { cur += cmd[++i]; has = true; }
    else { cur += ch; has = true; }
  }
  if (quote) throw new UsageError(`unterminated quote in command: ${cmd}`);
  if (has || cur) out.push(cur);
  return out;
}


/** Quote one word for splitCommand (and for a POSIX shell): only when needed, so the common case reads plainly. */
function quoteWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'"'"'`)}'`;
}

/** argv as one line that splitCommand (or a shell) reads back as the same argv. */
export function joinCommand(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ');
}
