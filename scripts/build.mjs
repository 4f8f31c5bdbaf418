// Builds dist/docker-ipv6: ONE executable (Node.js single executable application on the runtime pinned in
// package.json, see scripts/sea.mjs) whose main script answers docker-cli-plugin-metadata without loading
// anything, and which carries the bundled application, the vendor bundles and netlink's native addon.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSea, pinnedRuntime } from './sea.mjs';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const finalDist = join(top, 'dist');
// Build beside dist/ and swap it in at the end, so a test using dist/ never sees it half-built; the
// executable's ingredients (bundles, addon, code caches) are made in a work folder beside it.
const dist = join(top, `.dist-build-${process.pid}`);
const work = join(top, `.dist-work-${process.pid}`);
const pkg = JSON.parse(readFileSync(join(top, 'package.json'), 'utf8'));
const meta = JSON.parse(readFileSync(join(top, 'docker-cli-plugin-metadata.json'), 'utf8'));
if (meta.Version !== pkg.version) {
  console.error(`docker-cli-plugin-metadata.json Version ${meta.Version} != package.json version ${pkg.version}`);
  process.exit(1);
}

for (const d of [dist, work]) {
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
}

// netlink loads its addon with node-gyp-build(__dirname + '/..'): the executable's loader (src/sea/loader.ts)
// answers this request instead, from the addon it carries.
const netlinkNative = {
  name: 'netlink-native',
  setup(b) {
    b.onLoad({ filter: /netlink[\\/]dist[\\/]raw\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const patched = src.replace(
        "require('node-gyp-build')(__dirname + '/..')",
        "require('docker-ipv6:netlink-addon')",
      );
      if (patched === src) throw new Error('netlink raw.js loader line not found: update scripts/build.mjs');
      return { contents: patched, loader: 'js' };
    });
  },
};

// Heavy packages go into their own bundles (assets vendor/*.cjs of the executable), required only by the commands that use
// them: the CLI's start-up (help, metadata, lint without Docker) then parses ~0.5 MB instead of ~3 MB.
const VENDORS = ['dockerode', 'netlink', 'yaml'];
const vendorExternal = {
  name: 'vendor-external',
  setup(b) {
    // A CommonJS shim per vendor: esbuild then turns `await import('x')` into a lazy require with
    // named exports (a real import() of the CJS vendor file would only expose `default`).
    b.onResolve({ filter: new RegExp(`^(${VENDORS.join('|')})$`) }, (args) => ({ path: args.path, namespace: 'vendor-shim' }));
    b.onLoad({ filter: /.*/, namespace: 'vendor-shim' }, (args) => ({ contents: `module.exports = require('./vendor/${args.path}.cjs');`, loader: 'js' }));
    b.onResolve({ filter: /^\.\/vendor\// }, (args) => ({ path: args.path, external: true }));
  },
};

// dockerode requires its buildkit session (gRPC) and docker-modem its ssh transport at load time;
// both serve features this tool never uses on most runs. Make those two requires lazy (the code is
// still bundled and loads on first use): loading dockerode drops from ~90 ms to a fraction.
const LAZY = [
  { file: /dockerode[\\/]lib[\\/]docker\.js$/, from: "withSession = require('./session')", to: "withSession = function () { return require('./session').apply(this, arguments); }" },
  { file: /docker-modem[\\/]lib[\\/]modem\.js$/, from: "ssh = require('./ssh')", to: "ssh = function () { return require('./ssh').apply(this, arguments); }" },
];
const lazyRequires = {
  name: 'lazy-requires',
  setup(b) {
    b.onLoad({ filter: /(dockerode|docker-modem)[\\/]lib[\\/](docker|modem)\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const rule = LAZY.find((r) => r.file.test(args.path));
      if (!rule) return undefined;
      if (!src.includes(rule.from)) throw new Error(`${args.path}: "${rule.from}" not found: update scripts/build.mjs`);
      return { contents: src.replace(rule.from, rule.to), loader: 'js' };
    });
  },
};

// node:crypto and node:child_process (with the streams, net and dgram they pull in) cost start-up time, and
// commander and several of our modules import them at their top although --help, lint and most failures
// never call them: in the application bundle they become objects that load the built-in on first use.
const LAZY_BUILTINS = ['crypto', 'child_process'];
// esbuild's interop copies a module's keys when it is imported (__toESM): the keys come from the pinned
// runtime at build time, so that copy does not load the module either; reading any of them does.
const rt = pinnedRuntime(top).node;
const builtinKeys = Object.fromEntries(LAZY_BUILTINS.map((m) => [m, JSON.parse(execFileSync(rt, ['-p', `JSON.stringify(Object.keys(require('${m}')))`], { encoding: 'utf8' }))]));
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^node:(${LAZY_BUILTINS.join('|')})$`) }, (args) => ({ path: args.path.slice(5), namespace: 'lazy-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      loader: 'js',
      contents: `let m; const load = () => (m ??= require(${JSON.stringify(args.path)}));
const keys = ${JSON.stringify(builtinKeys[args.path])};
module.exports = new Proxy({}, {
  get: (_, k) => (k === '__esModule' ? undefined : load()[k]),
  has: (_, k) => keys.includes(k) || k in load(),
  ownKeys: () => keys,
  getOwnPropertyDescriptor: (_, k) => (keys.includes(k) ? { value: undefined, writable: true, enumerable: true, configurable: true } : undefined),
});`,
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifySyntax: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // import() becomes require(): code compiled from the executable's assets (src/sea/loader.ts) has no
  // module loader behind import(), and every import() here is of a bundled module or a built-in
  supported: { 'dynamic-import': false },
  // jsonc-parser's "main" is a UMD wrapper whose requires esbuild cannot follow: bundle its ESM build
  alias: { 'jsonc-parser': join(top, 'node_modules/jsonc-parser/lib/esm/main.js') },
};

// The build id: what the image of this build is tagged with (docker ipv6 image), so a host runs the probe and
// agent of this very build. A hash of what goes into the executable: the sources, the locked packages, the units.
function buildId() {
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else { h.update(p.slice(top.length)); h.update(readFileSync(p)); }
    }
  };
  walk(join(top, 'src'));
  walk(join(top, 'systemd'));
  h.update(readFileSync(join(top, 'package-lock.json')));
  return h.digest('hex').slice(0, 12);
}

/**
 * Makes a bundle pure ASCII, which the executable's loader then reads as a one-byte string (src/sea/loader.ts).
 * esbuild escapes every non-ASCII character of code (charset "ascii", its default) but keeps some comments as
 * they are (ip-address's JSDoc has a section sign and an em dash): one such character made the whole 0.9 MB source a
 * two-byte string, and decoding plus compiling it cost more than half of `--help`'s time above a bare start.
 * Only comments can hold them, so they are replaced there; anything left fails the build.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\x00-\x7f]/g, '?'));
  const bad = /[^\x00-\x7f]/.exec(text);
  if (bad) throw new Error(`${file}: non-ASCII character outside a comment at offset ${bad.index}: esbuild's charset must stay "ascii"`);
  writeFileSync(file, text);
}

// The systemd units travel inside the executable, so `docker-ipv6 install` needs nothing beside it.
const units = Object.fromEntries(readdirSync(join(top, 'systemd')).filter((f) => /\.(service|timer)$/.test(f)).sort()
  .map((f) => [f, readFileSync(join(top, 'systemd', f), 'utf8')]));
await build({
  ...common,
  entryPoints: [join(top, 'src/main.ts')],
  outfile: join(work, 'app.cjs'),
  plugins: [vendorExternal, lazyBuiltins],
  define: { 'process.env.DOCKER_IPV6_VERSION': JSON.stringify(pkg.version), 'process.env.DOCKER_IPV6_BUILD': JSON.stringify(buildId()), 'process.env.DOCKER_IPV6_UNITS': JSON.stringify(JSON.stringify(units)) },
});
asciiOnly(join(work, 'app.cjs'));
await build({
  ...common,
  entryPoints: [join(top, 'src/sea/launcher.ts')],
  outfile: join(work, 'launcher.cjs'),
  define: { DOCKER_IPV6_METADATA: JSON.stringify(JSON.stringify(meta, null, 2) + '\n') },
});
for (const v of VENDORS) {
  await build({
    ...common,
    entryPoints: [v],
    absWorkingDir: top,
    outfile: join(work, 'vendor', `${v}.cjs`),
    // ssh2's optional native speedups are loaded in try/catch; without them it falls back to JS.
    external: ['cpu-features', '*.node', 'docker-ipv6:netlink-addon'],
    plugins: v === 'netlink' ? [netlinkNative] : v === 'dockerode' ? [lazyRequires] : [],
  });
  asciiOnly(join(work, 'vendor', `${v}.cjs`));
}

cpSync(join(top, 'node_modules/netlink/prebuilds/linux-x64/node.napi.node'), join(work, 'netlink.node'));
await buildSea({ top, work, output: join(dist, 'docker-ipv6') });
const old = join(top, `.dist-old-${process.pid}`);
if (existsSync(finalDist)) renameSync(finalDist, old);
renameSync(dist, finalDist);
rmSync(old, { recursive: true, force: true });
if (!process.env.DOCKER_IPV6_KEEP_BUILD) rmSync(work, { recursive: true, force: true });
console.log(`built dist/docker-ipv6 (version ${pkg.version})`);
