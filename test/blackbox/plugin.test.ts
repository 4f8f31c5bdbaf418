// The built plugin as users get it: dist/docker-ipv6 symlinked into a cli-plugins folder and driven
// by the real docker CLI, against a real lab daemon (by -H and through a docker context), with no
// `node` reachable on PATH (lab.ts withoutNode).
import test from 'ava';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, CLI, NO_NODE_DIR, REPO, withLab, withoutNode } from '../helpers/lab';

const DOCKER = '/usr/local/bin/docker';

/** A DOCKER_CONFIG folder with only our plugin in it; removed after the test. */
function pluginConfig(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dl6-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'cli-plugins'));
  symlinkSync(CLI, join(dir, 'cli-plugins', 'docker-ipv6'));
  return dir;
}

/** The caller's env without anything that would point docker elsewhere. */
function dockerEnv(config: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: config };
  for (const k of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) delete env[k];
  return withoutNode(env);
}

const docker = (config: string, args: string[]) => capture([DOCKER, ...args], { env: dockerEnv(config) });

test('the executable starts with no node reachable: an ELF file, run with a PATH whose node fails, and with no PATH at all', async (t) => {
  const head = Buffer.alloc(4);
  const fd = openSync(CLI, 'r');
  try { readSync(fd, head, 0, 4, 0); } finally { closeSync(fd); }
  t.deepEqual([...head], [0x7f, 0x45, 0x4c, 0x46], 'dist/docker-ipv6 is a native executable, not a script for node');
  // the guard itself works: a lookup of node on that PATH fails loudly
  const guard = await capture(['/usr/bin/env', 'node', '-e', '0'], { env: { PATH: NO_NODE_DIR } });
  t.is(guard.code, 97, guard.stderr);
  for (const env of [{ PATH: NO_NODE_DIR }, { PATH: '/nonexistent' }, {}]) {
    const help = await capture([CLI, '--help'], { env });
    t.is(help.code, 0, `${JSON.stringify(env)}: ${help.stderr}`);
    t.regex(help.stdout, /^\s+status\b/m);
    const meta = await capture([CLI, 'docker-cli-plugin-metadata'], { env });
    t.is(meta.code, 0, meta.stderr);
    t.is((JSON.parse(meta.stdout) as { SchemaVersion: string }).SchemaVersion, '0.1.0');
  }
  // a command that loads the bundled yaml vendor asset, still without node
  const dir = mkdtempSync(join(tmpdir(), 'dl6-lint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const compose = join(dir, 'compose.yaml');
  writeFileSync(compose, 'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\nnetworks:\n  default:\n    enable_ipv6: true\n');
  const lint = await capture([CLI, 'lint', '--format', 'json', compose], { env: { PATH: NO_NODE_DIR } });
  t.true(lint.code === 0 || lint.code === 1, `${lint.code}: ${lint.stderr}`);
  const rules = (JSON.parse(lint.stdout) as { findings: Array<{ rule: string }> }).findings.map((f) => f.rule);
  t.true(rules.includes('compose/ipv6-subnet-missing'), rules.join(','));
});

test('docker --help lists the plugin as ipv6*', async (t) => {
  const r = await docker(pluginConfig(t), ['--help']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^\s+ipv6\*\s+\S/m);
});

test('docker ipv6 --help, docker help ipv6 and docker ipv6 status --help work', async (t) => {
  const cfg = pluginConfig(t);
  const top = await docker(cfg, ['ipv6', '--help']);
  t.is(top.code, 0, top.stderr);
  t.regex(top.stdout, /Usage: docker ipv6 /);
  t.regex(top.stdout, /^\s+status\b/m);
  t.regex(top.stdout, /^\s+lab\b/m);

  const help = await docker(cfg, ['help', 'ipv6']);
  t.is(help.code, 0, help.stdout + help.stderr);
  t.regex(help.stdout, /Usage: docker ipv6 /);

  const sub = await docker(cfg, ['ipv6', 'status', '--help']);
  t.is(sub.code, 0, sub.stderr);
  t.regex(sub.stdout, /Usage: docker ipv6 status/);

  const lab = await docker(cfg, ['ipv6', 'lab', '--help']);
  t.is(lab.code, 0, lab.stderr);
  for (const c of ['up', 'down', 'exec', 'restart', 'status']) t.regex(lab.stdout, new RegExp(`^\\s+${c}\\b`, 'm'));
});

test('docker-cli-plugin-metadata prints only the metadata JSON', async (t) => {
  const cfg = pluginConfig(t);
  const r = await capture([join(cfg, 'cli-plugins', 'docker-ipv6'), 'docker-cli-plugin-metadata']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
  const meta = JSON.parse(r.stdout) as Record<string, unknown>;
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  t.deepEqual(Object.keys(meta).sort(), ['SchemaVersion', 'ShortDescription', 'URL', 'Vendor', 'Version']);
  t.is(meta.SchemaVersion, '0.1.0');
  t.is(meta.Version, pkg.version);
  t.true(typeof meta.Vendor === 'string' && meta.Vendor.length > 0);
  t.true(typeof meta.ShortDescription === 'string' && meta.ShortDescription.length > 0);
  t.regex(String(meta.URL), /^https:\/\//);
});

interface StatusJson {
  endpoint: { host: string; source: string; local: boolean };
  daemon: { reachable: boolean; version?: string };
  networks: Array<{ name: string; enableIPv6: boolean; ipv6Subnets: string[] }>;
}

test('docker -H <lab socket> and docker --context <ctx> reach the lab daemon', async (t) => {
  await withLab(t, { prefix: 'bb' }, async (lab) => {
    const cfg = pluginConfig(t);
    const denv = dockerEnv(cfg);
    const net = await lab.docker(['network', 'create', '--ipv6', '--subnet', 'fd00:db8:bb::/64', 'v6net']);
    t.is(net.code, 0, net.stderr);
    const check = (r: { code: number; stdout: string; stderr: string }): StatusJson => {
      t.is(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout) as StatusJson;
      t.true(s.daemon.reachable);
      t.is(s.daemon.version, lab.record.dockerd.version);
      const names = s.networks.map((n) => n.name);
      for (const n of ['bridge', 'host', 'none', 'v6net']) t.true(names.includes(n), `network ${n} in ${names.join(',')}`);
      const v6 = s.networks.find((n) => n.name === 'v6net');
      t.true(v6?.enableIPv6);
      t.deepEqual(v6?.ipv6Subnets, ['fd00:db8:bb::/64']);
      return s;
    };

    // inside the lab host, so what status reads of the host is the lab's, not this machine's
    const byHost = check(await lab.host([DOCKER, '-H', `unix://${lab.socket}`, 'ipv6', 'status', '--json'], { env: denv }));
    t.is(byHost.endpoint.host, `unix://${lab.socket}`);

    const ctx = await lab.host([DOCKER, 'context', 'create', 'lab6', '--docker', `host=unix://${lab.socket}`], { env: denv });
    t.is(ctx.code, 0, ctx.stderr);
    const byCtx = check(await lab.host([DOCKER, '--context', 'lab6', 'ipv6', 'status', '--json'], { env: denv }));
    t.is(byCtx.endpoint.host, `unix://${lab.socket}`);
    t.regex(byCtx.endpoint.source, /lab6|context/);

    // the lab's own headline: `docker ipv6 lab exec NAME -- docker ipv6 status` just works
    const viaLab = await docker(cfg, ['ipv6', 'lab', 'exec', lab.name, '--', 'docker', 'ipv6', 'status', '--json']);
    check(viaLab);
    const env = await docker(cfg, ['ipv6', 'lab', 'exec', lab.name, '--', 'env']);
    t.is(env.code, 0, env.stderr);
    t.notRegex(env.stdout, /^DOCKER_CLI_PLUGIN_/m, 'the outer CLI\'s plugin socket does not leak into the lab');
  });
});
