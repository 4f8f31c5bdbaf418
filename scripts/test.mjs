// The README's test command: builds the plugin, checks the import rules, runs every test layer with ava, and ends with
// one line "N passed, N failed" (ava's own summary is not in that form).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const b = spawnSync(process.execPath, [join(top, 'scripts/build.mjs')], { stdio: 'inherit', cwd: top });
if (b.status !== 0) { console.log('0 passed, 1 failed'); process.exit(1); }
// the import rules (README "Code map"): a violation fails the run before any test starts
const deps = spawnSync(process.execPath, [join(top, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'src', '--config', join(top, '.dependency-cruiser.cjs')], { stdio: 'inherit', cwd: top });
if (deps.status !== 0) { console.log('0 passed, 1 failed'); process.exit(1); }

const extra = process.argv.slice(2);
const ava = spawn(process.execPath, [join(top, 'node_modules/ava/entrypoints/cli.mjs'), '--tap', ...extra], {
  cwd: top, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' },
});
let tail = '';
ava.stdout.setEncoding('utf8').on('data', (d) => { process.stdout.write(d); tail = (tail + d).slice(-4096); });
ava.on('close', (code) => {
  const num = (k) => { const m = new RegExp(`^# ${k} (\\d+)$`, 'm').exec(tail); return m ? Number(m[1]) : 0; };
  const pass = num('pass');
  let fail = num('fail');
  if (code !== 0 && fail === 0) fail = 1; // ava itself failed (timeout, crash, uncaught error)
  const skip = num('skip') + num('todo');
  console.log(`${pass} passed, ${fail} failed${skip ? `, ${skip} skipped` : ''}`);
  process.exit(code === 0 && fail === 0 ? 0 : 1);
});
