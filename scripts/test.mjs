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
  cwd: top, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' }, detached: true,
});
// A stall watchdog. ava's own timeout (package.json, 5 min without a finished test) ends a stuck worker with
// SIGTERM, which a test inside a transaction or the agent handles (roll back, stop) and may never act on; ava then
// waits for ever. Ten minutes without a line from ava: the whole tree is killed and the run fails, with the lines
// that say where it stood, instead of running into CI's limit.
const STALL_MS = Number(process.env.DOCKER_IPV6_TEST_STALL_MS ?? 600_000);
let stalled = false;
let lastLine = Date.now();
const watchdog = setInterval(() => {
  if (Date.now() - lastLine < STALL_MS) return;
  stalled = true;
  console.log(`# watchdog: no output from ava for ${Math.round(STALL_MS / 60_000)} min; killing the test run`);
  try { process.kill(-ava.pid, 'SIGKILL'); } catch { /* gone already */ }
}, 5_000);
// Ctrl-C and a stop reach ava in its own process group (detached, so that the watchdog can kill the whole tree)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { try { process.kill(-ava.pid, sig); } catch { /* gone */ } });
let tail = '';
ava.stdout.setEncoding('utf8').on('data', (d) => { lastLine = Date.now(); process.stdout.write(d); tail = (tail + d).slice(-4096); });
ava.on('close', (code) => {
  clearInterval(watchdog);
  // a worker ava left behind (it ended on a timeout or crashed) must not outlive the run, holding its output open
  try { process.kill(-ava.pid, 'SIGKILL'); } catch { /* the group is empty */ }
  const num = (k) => { const m = new RegExp(`^# ${k} (\\d+)$`, 'm').exec(tail); return m ? Number(m[1]) : 0; };
  const pass = num('pass');
  let fail = num('fail');
  if ((code !== 0 || stalled) && fail === 0) fail = 1; // ava itself failed (timeout, crash, uncaught error) or stalled
  const skip = num('skip') + num('todo');
  console.log(`${pass} passed, ${fail} failed${skip ? `, ${skip} skipped` : ''}`);
  process.exit(code === 0 && fail === 0 && !stalled ? 0 : 1);
});
