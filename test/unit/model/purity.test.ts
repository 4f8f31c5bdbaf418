import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(__dirname, '../../../src/model');

test('src/model imports nothing that touches the outside world', (t) => {
  const allowed = /^(\.\/|\.\.\/errors$|ip-address$|node:crypto$|node:path$)/;
  for (const f of readdirSync(DIR).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(join(DIR, f), 'utf8');
    const specs = [...text.matchAll(/from '([^']+)'|require\('([^']+)'\)|import\('([^']+)'\)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
    for (const s of specs) t.regex(s, allowed, `${f} imports ${s}`);
    t.regex(text.split('\n')[0], /^\/\/ /, `${f} says what it is for on its first line`);
  }
});
