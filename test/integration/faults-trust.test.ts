// Fault suite, trust: files root acts on that someone else wrote or could have written. A state.json the
// tool never wrote (prefix ::/0), a state folder or journal another user owns or may write, a lab folder or
// lab record made by another user: each is refused before anything changes. One lab (Docker 28).
import test from 'ava';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { netnsExists } from '../../src/lab/topology';
import { cli, uniqueName, type Lab } from '../helpers/lab';
import { dockerdPid, faultSuite, hostState, toolFile } from '../helpers/faults';

const suite = faultSuite(test, { group: 'trust', file: 'test/integration/faults-trust.test.ts', lab: { docker: '28', prefix: 'trs' } });
const cfgOf = () => suite.lab.record.dockerd.configFile;
const keepCfg = { keep: () => [cfgOf()] };
const NOBODY = 65534;
const stateDirOf = (lab: Lab) => join(lab.record.toolRoot, 'var/lib/docker-ipv6');

/** What the lab host routes: a refused run must add no route (above all no `unreachable ::/0`). */
// without the link-local and multicast routes the kernel adds by itself once eth0's fe80 address comes up
// (asynchronously after the lab starts: a snapshot taken early would differ from a later one for no fault)
const routes6 = async (lab: Lab) => (await lab.host(['ip', '-6', 'route', 'show', 'table', 'all'])).stdout
  .split('\n').filter((l) => !/^(local )?fe80:|^multicast ff00::\/8/.test(l)).join('\n');

suite.scenario('a state.json with prefix ::/0 is refused by apply, status, enable and disable (exit 5); no route, rule or file changes', { fault: 'state.json claims routed mode for ::/0 with its unreachable route', ...keepCfg }, async (t, lab) => {
  mkdirSync(stateDirOf(lab), { recursive: true, mode: 0o755 });
  const hostile = {
    version: 1, prefix: '::/0', mode: 'routed', uplink: 'eth0',
    enabled: {
      at: '2026-01-01T00:00:00.000Z', daemonJson: { path: cfgOf(), undo: { previous: {} }, fileExisted: true },
      sysctls: {}, sysctlFileWritten: false, natByUs: false, filterByUs: true,
    },
    routes: ['unreachable ::/0'],
  };
  writeFileSync(toolFile(lab, 'state.json'), `${JSON.stringify(hostile, null, 2)}\n`, { mode: 0o644 });
  try {
    const before = await hostState(lab);
    const routesBefore = await routes6(lab);
    for (const cmd of [['apply'], ['status'], ['enable', '--yes'], ['disable', '--yes']]) {
      const r = await lab.exec(cmd);
      t.is(r.code, 5, `${cmd[0]}: ${r.stderr}`);
      t.true(r.stderr.includes(`state file ${toolFile(lab, 'state.json')} is not valid: prefix ::/0`), `${cmd[0]} names the file and the field: ${r.stderr}`);
      t.regex(r.stderr, /hint: /);
    }
    t.notRegex(await routes6(lab), /unreachable ::\/0|unreachable default/, 'no route for everything');
    t.is(await routes6(lab), routesBefore);
    t.deepEqual(await hostState(lab), before, 'daemon.json, dockerd, ip6tables, sysctls and the state file as they were');
    const doc = await lab.exec(['doctor', '--json']);
    t.regex(doc.stdout, /daemon\.state-file/, `doctor reports the file instead of stopping: ${doc.stderr}`);
  } finally {
    rmSync(toolFile(lab, 'state.json'), { force: true });
    await lab.host(['ip', '-6', 'route', 'del', 'unreachable', '::/0']);
  }
});

suite.scenario('a state folder owned by nobody, or open to all, or under an open --root, is refused (exit 3) before any change', { fault: 'the state folder or the root above it can be written by another user', ...keepCfg }, async (t, lab) => {
  const dir = stateDirOf(lab);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const rootMode = statSync(lab.record.toolRoot).mode & 0o7777;
  const cases: Array<[string, () => void, string, RegExp]> = [
    ['owned by nobody', () => chownSync(dir, NOBODY, NOBODY), dir, new RegExp(`${dir}.* is owned by uid ${NOBODY} with mode 0755`)],
    ['mode 0777', () => { chownSync(dir, 0, 0); chmodSync(dir, 0o777); }, dir, /is owned by uid 0 with mode 0777; it is writable by group or others/],
    ['--root 0777 without the sticky bit', () => { chmodSync(dir, 0o755); chmodSync(lab.record.toolRoot, 0o777); }, lab.record.toolRoot, /without the sticky bit/],
  ];
  try {
    for (const [what, make, path, msg] of cases) {
      make();
      const before = await hostState(lab);
      for (const cmd of [['status'], ['apply'], ['enable', '--yes'], ['disable', '--yes'], ['network', 'create', 'trs-net']]) {
        const r = await lab.exec(cmd);
        t.is(r.code, 3, `${what}: ${cmd[0]}: ${r.stderr}`);
        t.true(r.stderr.includes(`refusing to trust`) && r.stderr.includes(path), `${what}: ${cmd[0]} names ${path}: ${r.stderr}`);
        t.regex(r.stderr, msg, `${what}: ${cmd[0]}`);
        t.regex(r.stderr, /hint: chown root:root .* && chmod go-w /);
      }
      t.deepEqual(await hostState(lab), before, `${what}: nothing changed, no lock, journal or state written`);
      t.deepEqual(readdirSync(dir), [], `${what}: nothing written into the folder`);
    }
  } finally {
    chmodSync(lab.record.toolRoot, rootMode);
    chownSync(dir, 0, 0);
    chmodSync(dir, 0o755);
  }
  await lab.docker(['network', 'rm', 'trs-net']);
});

suite.scenario('a journal owned by nobody or writable by others is not replayed (exit 3)', { fault: 'journal.json planted by another user, its record writing a file as root', ...keepCfg }, async (t, lab) => {
  mkdirSync(stateDirOf(lab), { recursive: true, mode: 0o755 });
  const pwned = join(lab.dir, 'trs-pwned');
  const journal = {
    version: 1, command: 'enable', pid: 999999, startedAt: '2026-01-01T00:00:00.000Z', status: 'running',
    entries: [{ stepId: 'write-daemon-json', describe: 'x', state: 'applied', record: { kind: 'file', path: pwned, absent: false, previousText: 'root wrote this\n', mode: 0o644 } }],
  };
  const file = toolFile(lab, 'journal.json');
  writeFileSync(file, `${JSON.stringify(journal)}\n`, { mode: 0o644 });
  try {
    for (const [what, make] of [['owned by nobody', () => chownSync(file, NOBODY, NOBODY)], ['mode 0666', () => { chownSync(file, 0, 0); chmodSync(file, 0o666); }]] as const) {
      make();
      const before = await hostState(lab);
      for (const cmd of [['disable', '--yes'], ['enable', '--yes']]) {
        const r = await lab.exec(cmd);
        t.is(r.code, 3, `${what}: ${cmd[0]}: ${r.stderr}`);
        t.true(r.stderr.includes(`refusing to trust the transaction journal ${file}`), r.stderr);
        t.false(existsSync(pwned), `${what}: the record was not replayed`);
      }
      t.deepEqual(await hostState(lab), before);
    }
  } finally {
    rmSync(file, { force: true });
    rmSync(pwned, { force: true });
  }
});

suite.scenario('a lab folder made by another user is refused by lab up; a lab record owned by nobody by lab restart', { fault: 'DOCKER_IPV6_LAB_BASE made by nobody (or mode 0777); lab.json handed to nobody' }, async (t, lab) => {
  const base = join('/run', uniqueName('trs-base'));
  const name = uniqueName('trs-b');
  const env = { ...process.env, DOCKER_IPV6_LAB_BASE: base };
  mkdirSync(base, { mode: 0o755 });
  try {
    for (const [what, make, msg] of [
      ['owned by nobody', () => chownSync(base, NOBODY, NOBODY), new RegExp(`${base} \\(on the way to ${base}/${name}\\) is owned by uid ${NOBODY}`)],
      ['mode 0777', () => { chownSync(base, 0, 0); chmodSync(base, 0o777); }, /with mode 0777; it is writable by group or others without the sticky bit/],
    ] as const) {
      make();
      const r = await cli(['lab', 'up', name], { env });
      t.is(r.code, 3, `${what}: ${r.stderr}`);
      t.regex(r.stderr, msg, what);
      t.deepEqual(readdirSync(base), [], `${what}: nothing made in it`);
      t.false(netnsExists(`${name}-up`) || netnsExists(`${name}-host`), `${what}: no namespace made`);
      const st = await cli(['lab', 'status'], { env });
      t.is(st.code, 3, `${what}: lab status refuses to list it too: ${st.stderr}`);
    }
  } finally {
    chownSync(base, 0, 0);
    chmodSync(base, 0o755);
    if (netnsExists(`${name}-up`) || netnsExists(`${name}-host`) || readdirSync(base).length) await cli(['lab', 'down', name], { env });
    rmSync(base, { recursive: true, force: true });
  }
  // the record names the dockerd `lab restart` runs as root: one another user owns is not believed
  const record = join(lab.dir, 'lab.json');
  const pid = dockerdPid(lab);
  const text = readFileSync(record, 'utf8');
  chownSync(record, NOBODY, NOBODY);
  try {
    const r = await lab.lab(['restart']);
    t.is(r.code, 3, r.stderr);
    t.true(r.stderr.includes(`refusing to trust the lab record ${record}`), r.stderr);
    t.is(dockerdPid(lab), pid, 'dockerd was not restarted');
  } finally {
    chownSync(record, 0, 0);
  }
  t.is(readFileSync(record, 'utf8'), text);
});
