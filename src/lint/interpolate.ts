// Compose variable interpolation ($VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR:+a}, $$), as Compose does it.
// Lint judges a value on what it becomes; a variable with no value known here leaves the value unresolved
// (it is then skipped, never guessed and never rewritten by --fix).

/** Values lint knows: from --env-file / --use-env. Without them it is empty and only defaults count. */
export type Env = Readonly<Record<string, string>>;

export type Interpolated = { ok: true; value: string } | { ok: false; missing: string[] };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** A value some other tool fills in later (envsubst/clusterctl ${VAR}, Helm {{ }}): not judged as written. */
export function isPlaceholder(text: string): boolean {
  return /\$\{[^}]*\}|\{\{/.test(text);
}

/** True when the text holds a variable reference (a lone "$$" is an escaped dollar, not one). */
export function hasVariable(text: string): boolean {
  return /\$(\{|[A-Za-z_])/.test(text.replace(/\$\$/g, ''));
}

/** The index of the "}" closing the "${" at `open`, minding nested ${...}. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') { depth++; i++; } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function braced(body: string, env: Env, missing: string[]): string {
  const name = NAME.exec(body)?.[0];
  if (!name) { missing.push(`\${${body}}`); return ''; }
  const rest = body.slice(name.length);
  const set = Object.prototype.hasOwnProperty.call(env, name);
  const val = set ? env[name] : undefined;
  const m = /^(:?)([-?+])([\s\S]*)$/.exec(rest);
  if (!m) {
    if (rest !== '' || val === undefined) missing.push(name);
    return val ?? '';
  }
  const [, colon, op, arg] = m;
  // with ":" an empty value counts as unset, as in the shell
  const present = colon ? val !== undefined && val !== '' : val !== undefined;
  const inner = () => { const r = interpolate(arg, env); if (!r.ok) { missing.push(...r.missing); return ''; } return r.value; };
  if (op === '-') return present ? val! : inner();
  if (op === '?') { if (!present) missing.push(name); return val ?? ''; }
  // ${VAR:+alt}: with no value known for VAR, whether alt applies is unknown
  if (val === undefined) { missing.push(name); return ''; }
  return present ? inner() : '';
}

export function interpolate(text: string, env: Env = {}): Interpolated {
  const missing: string[] = [];
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '$') { out += c; continue; }
    const next = text[i + 1];
    if (next === '$') { out += '$'; i++; continue; }
    if (next === '{') {
      const end = closing(text, i);
      if (end < 0) { missing.push(text.slice(i)); break; }
      out += braced(text.slice(i + 2, end), env, missing);
      i = end;
      continue;
    }
    const name = NAME.exec(text.slice(i + 1))?.[0];
    if (!name) { out += c; continue; }
    if (Object.prototype.hasOwnProperty.call(env, name)) out += env[name];
    else missing.push(name);
    i += name.length;
  }
  return missing.length ? { ok: false, missing } : { ok: true, value: out };
}

/** Parses an env file as Compose does: KEY=VALUE lines, # comments, optional quotes, "export " prefix. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, '');
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let v = line.slice(eq + 1).trim();
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    out[key] = v;
  }
  return out;
}
