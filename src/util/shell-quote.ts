// Quoting of one word for sh (and for splitCommand in cli/globals.ts): only when needed, so the common case reads plainly.

export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'"'"'`)}'`;
}
