// Loads the application and its vendor bundles from the single executable's assets (or, outside an
// executable, from the build folder), each compiled as a CommonJS module with its V8 code cache when the
// executable carries one, and gives them a `require` that maps the bundles' vendor requires to assets.
import { isAscii } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, join } from 'node:path';
import * as sea from 'node:sea';
import { Script } from 'node:vm';

/** The request the netlink bundle makes for its native addon (scripts/build.mjs rewrites its loader line). */
export const ADDON_REQUEST = 'docker-ipv6:netlink-addon';
export const ADDON_ASSET = 'netlink.node';

interface Mod { exports: unknown }

const inSea = sea.isSea();
// The build runs this file with the pinned runtime and this variable set: every script compiled is then
// written out as its code cache (after the command ran, so the functions it used are in it).
const codeCacheOut = inSea ? undefined : process.env.DOCKER_IPV6_CODE_CACHE_OUT;
const compiled: Array<{ name: string; script: Script }> = [];
const modules = new Map<string, Mod>();

function asset(name: string): Buffer | undefined {
  // getAsset throws for a key the executable does not carry (a missing code cache is not an error)
  try { return inSea ? Buffer.from(sea.getAsset(name)) : readFileSync(join(__dirname, name)); } catch { return undefined; }
}

/** The one compile of an asset module, identical at build time and at run time (a code cache only fits the same source and name). */
function load(name: string): unknown {
  const seen = modules.get(name);
  if (seen) return seen.exports;
  const src = asset(name);
  if (!src) throw new Error(`the executable has no ${name} in it: rebuild it (npm run build)`);
  const filename = `/docker-ipv6/${name}`;
  // the build makes every bundle ASCII: read as latin1 it is a one-byte string, the same text utf8 would give,
  // decoded and compiled several times faster than the two-byte string a single non-ASCII byte forces
  // the global `performance` would load perf_hooks: only when asked for
  const t0 = process.env.DOCKER_IPV6_DEBUG_CODE_CACHE ? performance.now() : 0;
  const text = isAscii(src) ? src.toString('latin1') : src.toString('utf8');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${text}\n})`, {
    filename,
    cachedData: asset(`${name}.cache`),
  });
  if (process.env.DOCKER_IPV6_DEBUG_CODE_CACHE) process.stderr.write(`code cache ${name}: ${script.cachedDataRejected === false ? 'used' : script.cachedDataRejected ? 'rejected' : 'none'} (decoded and compiled in ${(performance.now() - t0).toFixed(1)} ms)\n`);
  if (codeCacheOut) compiled.push({ name, script });
  const mod: Mod = { exports: {} };
  modules.set(name, mod);
  (script.runInThisContext() as (...a: unknown[]) => void).call(mod.exports, mod.exports, requireFor, mod, filename, '/docker-ipv6');
  return mod.exports;
}

function loadAddon(): unknown {
  const bytes = asset(ADDON_ASSET);
  if (!bytes) throw new Error(`the executable has no ${ADDON_ASSET} in it: rebuild it (npm run build)`);
  const mod: Mod = { exports: {} };
  // required here, not at the top: node:crypto (its sha256) costs start-up time that --help should not pay
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { cachedAddon } = require('../host/addon-cache') as typeof import('../host/addon-cache');
  process.dlopen(mod, cachedAddon(bytes));
  return mod.exports;
}

const builtins = new Set(builtinModules);

/** `require` inside the bundles: node's built-ins, our vendor bundles and the addon; nothing from disk. */
function requireFor(id: string): unknown {
  if (id.startsWith('./vendor/')) return load(`vendor/${basename(id)}`);
  if (id === ADDON_REQUEST) return loadAddon();
  if (id.startsWith('node:') || builtins.has(id)) return require(id);
  // optional dependencies the bundles try in try/catch (ssh2's cpu-features, its .node speedups)
  const e = new Error(`Cannot find module '${id}'`) as NodeJS.ErrnoException;
  e.code = 'MODULE_NOT_FOUND';
  throw e;
}

function writeCodeCaches(dir: string): void {
  for (const { name, script } of compiled) writeFileSync(join(dir, `${name}.cache`), script.createCachedData());
}

export function start(): void {
  const app = load('app.cjs') as { main(argv?: string[]): Promise<void> };
  const done = app.main();
  if (codeCacheOut) {
    void done.then(() => {
      // the vendor bundles' top level too (netlink's would write the addon cache: left out)
      for (const v of ['vendor/dockerode.cjs', 'vendor/yaml.cjs']) load(v);
      writeCodeCaches(codeCacheOut);
    });
  }
}
