// Fault suite, daemon.json: malformed files, a symlinked file, a change by someone else between our read
// and our write, a read-only or full filesystem during the write, keys we do not know. One lab (Docker 28).
import test from 'ava';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capture } from '../helpers/lab';
import { dockerdPid, faultSuite, hostState, ok, sysctl, toolFile } from '../helpers/faults';

const suite = faultSuite(test, { group: 'daemon.json', file: 'test/integration/faults-daemon.test.ts', lab: { docker: '28', prefix: 'fdj' } });
const cfgOf = () => suite.lab.record.dockerd.configFile;
const keepCfg = { keep: () => [cfgOf()] };

// Each refused with Go's message at line:column (exit 5, ConfigError) before anything changes.
const MALFORMED: Array<[string, string, string]> = [
  ['a trailing comma', '{\n  "log-level": "warn",\n}\n', "3:1: invalid character '}' looking for beginning of object key string"],
  ['a // comment', '{\n  "log-level": "warn" // quieter\n}\n', "2:23: invalid character '/' after object key:value pair"],
  ['single quotes', "{'log-level': 'warn'}\n", "1:2: invalid character '\\'' looking for beginning of object key string"],
  ['a missing comma', '{\n  "log-level": "warn"\n  "debug": false\n}\n', "3:3: invalid character '\"' after object key:value pair"],
  ['a cut-off file', '{\n  "log-level": "wa', '2:19: unexpected end of JSON input'],
  ['a top-level array', '[{"log-level": "warn"}]\n', '1:1: json: cannot unmarshal array into Go value of type map[string]interface {}'],
];

for (const [how, text, where] of MALFORMED) {
  suite.scenario(`malformed daemon.json (${how}) is refused with line:col and left untouched`, { fault: `daemon.json holds ${how}`, ...keepCfg }, async (t, lab) => {
    const original = readFileSync(cfgOf());
    writeFileSync(cfgOf(), text);
    try {
      const before = await hostState(lab);
      const r = await lab.exec(['enable', '--yes']);
      t.is(r.code, 5, r.stderr);
      t.true(r.stderr.includes(`${cfgOf()}:${where}`), r.stderr);
      t.regex(r.stderr, /hint: /);
      t.deepEqual(await hostState(lab), before, 'file bytes, dockerd, firewall, sysctls and tool files as they were');
      const d = await lab.exec(['disable', '--yes']);
      t.is(d.code, 0, `nothing enabled, nothing to undo: ${d.stderr}`);
      t.is(readFileSync(cfgOf(), 'utf8'), text, 'disable leaves it alone too');
    } finally {
      writeFileSync(cfgOf(), original);
    }
  });
}

suite.scenario('keys docker-ipv6 does not know are kept byte for byte through enable and disable', { fault: 'daemon.json holds settings of other tools, odd layout', ...keepCfg }, async (t, lab) => {
  const original = readFileSync(cfgOf());
  const other = '{\n\t"default-address-pools": [{"base": "10.128.0.0/9", "size": 24}],\n\t"log-opts": { "max-size": "10m",  "max-file": "3" },\n\t"registry-mirrors": ["https://mirror.example.invalid"],\n\t"features": {"buildkit": true},\n\t"labels": ["role=fault-suite"]\n}\n';
  writeFileSync(cfgOf(), other);
  await lab.lab(['restart']);
  try {
    await ok(lab, ['enable', '--yes']);
    const after = readFileSync(cfgOf(), 'utf8');
    // default-address-pools is ours to extend (the IPv6 pool); every other line stays as it was
    for (const line of other.split('\n').slice(2, -2)) t.true(after.includes(line.replace(/,$/, '')), `kept: ${line}`);
    t.is(JSON.parse(after).ipv6, true);
    await ok(lab, ['disable', '--yes']);
    t.is(readFileSync(cfgOf(), 'utf8'), other, 'byte-identical after disable');
  } finally {
    writeFileSync(cfgOf(), original);
    await lab.lab(['restart']);
  }
});

suite.scenario('a symlinked daemon.json: the target is written, the link, mode and owner kept', { fault: 'daemon.json is a symlink to a 0640 file owned by 4321:4321', ...keepCfg }, async (t, lab) => {
  const original = readFileSync(cfgOf());
  const realDir = join(lab.dir, 'etc-real');
  const target = join(realDir, 'daemon.json');
  mkdirSync(realDir, { recursive: true });
  renameSync(cfgOf(), target);
  chmodSync(target, 0o640);
  chownSync(target, 4321, 4321);
  symlinkSync(target, cfgOf());
  try {
    await ok(lab, ['enable', '--yes']);
    t.true(lstatSync(cfgOf()).isSymbolicLink(), 'the link is still a link');
    t.is(readlinkSync(cfgOf()), target);
    const st = statSync(target);
    t.is(st.mode & 0o7777, 0o640);
    t.is(`${st.uid}:${st.gid}`, '4321:4321');
    t.is(JSON.parse(readFileSync(target, 'utf8')).ipv6, true, 'the target holds the new config');
    t.deepEqual(readdirSync(realDir), ['daemon.json'], 'no temp file beside the target');
    await ok(lab, ['disable', '--yes']);
    t.true(lstatSync(cfgOf()).isSymbolicLink());
    t.is(readFileSync(target, 'utf8'), original.toString('utf8'), 'target byte-identical after disable');
    t.is(statSync(target).mode & 0o7777, 0o640);
    t.is(statSync(target).uid, 4321);
  } finally {
    rmSync(cfgOf(), { force: true });
    writeFileSync(cfgOf(), original);
    rmSync(realDir, { recursive: true, force: true });
  }
});

// The seam: `enable` validates the new text with `dockerd --validate` after it read daemon.json and before
// it writes it. A dockerd wrapper (DOCKER_IPV6_DOCKERD) edits daemon.json during that validation, as
// another admin or a config-management run would; then it runs the real validation.
suite.scenario('daemon.json changed by someone else between our read and our write: abort, nothing written', { fault: 'another writer edits daemon.json during enable' }, async (t, lab) => {
  const original = readFileSync(cfgOf());
  const theirs = '{\n  "default-address-pools": [{"base": "10.128.0.0/9", "size": 24}],\n  "log-level": "info"\n}\n';
  const wrapper = join(lab.dir, 'dockerd-validate-hook');
  const theirsFile = join(lab.dir, 'theirs.json');
  writeFileSync(theirsFile, theirs);
  writeFileSync(wrapper, `#!/bin/sh\ncase " $* " in *" --validate "*) cp ${theirsFile} ${cfgOf()}.new && mv ${cfgOf()}.new ${cfgOf()} ;; esac\nexec ${lab.record.dockerd.path} "$@"\n`, { mode: 0o755 });
  try {
    const fwd = await sysctl(lab, 'net.ipv6.conf.all.forwarding');
    const pid = dockerdPid(lab);
    const r = await lab.exec(['enable', '--yes'], { env: { DOCKER_IPV6_DOCKERD: wrapper } });
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, /daemon\.json changed while docker ipv6 was planning/);
    t.regex(r.stderr, /rolled back:/);
    t.regex(r.stderr, /did not restart dockerd: daemon\.json was never written/);
    t.is(dockerdPid(lab), pid, 'dockerd kept running: it never saw a config of ours');
    t.is(readFileSync(cfgOf(), 'utf8'), theirs, 'their change stands; nothing of ours was written');
    t.deepEqual(readdirSync(lab.dir).filter((f) => f.includes('docker-ipv6') && f.endsWith('.tmp')), [], 'no temp file');
    t.is(await sysctl(lab, 'net.ipv6.conf.all.forwarding'), fwd, 'forwarding rolled back');
    t.false(existsSync(toolFile(lab, 'journal.json')), 'no journal left');
  } finally {
    writeFileSync(cfgOf(), original);
  }
});

/** A tiny tmpfs holding a copy of the lab's daemon.json, passed with --config-file; unmounted afterwards. */
async function onTmpfs(t: import('ava').ExecutionContext, size: string, fn: (dir: string, file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync('/tmp/dipv6-fault-fs-');
  const m = await capture(['mount', '-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'fault-tmpfs', dir]);
  t.is(m.code, 0, m.stderr);
  try {
    const file = join(dir, 'daemon.json');
    writeFileSync(file, readFileSync(cfgOf()));
    await fn(dir, file);
  } finally {
    await capture(['umount', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

suite.scenario('daemon.json on a read-only filesystem: the write fails, the original is intact, no temp file', { fault: 'the folder of daemon.json is remounted read-only', ...keepCfg }, async (t, lab) => {
  await onTmpfs(t, '64k', async (dir, file) => {
    const bytes = readFileSync(file);
    const ro = await capture(['mount', '-o', 'remount,ro', dir]);
    t.is(ro.code, 0, ro.stderr);
    const fwd = await sysctl(lab, 'net.ipv6.conf.all.forwarding');
    const r = await lab.exec(['enable', '--yes', '--config-file', file]);
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, /cannot write .*daemon\.json: EROFS/);
    t.regex(r.stderr, /read-only filesystem; remount it read-write/);
    t.true(readFileSync(file).equals(bytes), 'original intact');
    t.deepEqual(readdirSync(dir), ['daemon.json'], 'no temp file');
    t.is(await sysctl(lab, 'net.ipv6.conf.all.forwarding'), fwd, 'sysctls rolled back');
  });
});

suite.scenario('disk full while writing daemon.json: the original is intact, no temp file', { fault: 'the filesystem of daemon.json has no free block', ...keepCfg }, async (t, lab) => {
  await onTmpfs(t, '8k', async (dir, file) => {
    const bytes = readFileSync(file);
    // fill the rest: one page holds daemon.json, the filler takes what is left
    await capture(['dd', 'if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=1024', 'count=64']);
    const r = await lab.exec(['enable', '--yes', '--config-file', file]);
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, /cannot write .*daemon\.json: ENOSPC/);
    t.regex(r.stderr, /is full; free some space/);
    t.true(readFileSync(file).equals(bytes), 'original intact');
    t.deepEqual(readdirSync(dir).sort(), ['daemon.json', 'filler'], 'no temp file');
    t.false(existsSync(toolFile(lab, 'journal.json')), 'journal removed after the rollback');
  });
});
