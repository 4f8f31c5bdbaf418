// Builds dist/docker-ipv6: a tiny launcher that answers docker-cli-plugin-metadata without
// loading anything, plus one bundled CommonJS file and the netlink native addon beside it.
import { build } from 'esbuild';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const finalDist = join(top, 'dist');
// Build beside dist/ and swap it in at the end, so a test using dist/ never sees it half-built.
const dist = join(top, `.dist-build-${process.pid}`);
const pkg = JSON.parse(readFileSync(join(top, 'package.json'), 'utf8'));
const meta = JSON.parse(readFileSync(join(top, 'docker-cli-plugin-metadata.json'), 'utf8'));
if (meta.Version !== pkg.version) {
  console.error(`docker-cli-plugin-metadata.json Version ${meta.Version} != package.json version ${pkg.version}`);
  process.exit(1);
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// netlink loads its addon with node-gyp-build(__dirname + '/..'): point it at dist/vendor/netlink instead.
const netlinkNative = {
  name: 'netlink-native',
  setup(b) {
    b.onLoad({ filter: /netlink[\\/]dist[\\/]raw\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const patched = src.replace(
        "require('node-gyp-build')(__dirname + '/..')",
        "require('node-gyp-build')(require('path').join(__dirname, 'netlink'))",
      );
      if (patched === src) throw new Error('netlink raw.js loader line not found: update scripts/build.mjs');
      return { contents: patched, loader: 'js' };
    });
  },
};

// Heavy packages go into their own bundles under dist/vendor/, required only by the commands that use
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

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifySyntax: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // jsonc-parser's "main" is a UMD wrapper whose requires esbuild cannot follow: bundle its ESM build
  alias: { 'jsonc-parser': join(top, 'node_modules/jsonc-parser/lib/esm/main.js') },
};

await build({
  ...common,
  entryPoints: [join(top, 'src/main.ts')],
  outfile: join(dist, 'docker-ipv6.cjs'),
  plugins: [vendorExternal],
  define: { 'process.env.DOCKER_IPV6_VERSION': JSON.stringify(pkg.version) },
});
for (const v of VENDORS) {
  await build({
    ...common,
    entryPoints: [v],
    absWorkingDir: top,
    outfile: join(dist, 'vendor', `${v}.cjs`),
    // ssh2's optional native speedups are loaded in try/catch; without them it falls back to JS.
    external: ['cpu-features', '*.node'],
    plugins: v === 'netlink' ? [netlinkNative] : v === 'dockerode' ? [lazyRequires] : [],
  });
}

cpSync(join(top, 'node_modules/netlink/prebuilds'), join(dist, 'vendor/netlink/prebuilds'), { recursive: true });
if (existsSync(join(top, 'systemd'))) cpSync(join(top, 'systemd'), join(dist, 'systemd'), { recursive: true });

const launcher = `#!/usr/bin/env node
'use strict';
// docker CLI plugin launcher: the metadata answer must not load anything.
if (process.argv[2] === 'docker-cli-plugin-metadata') {
  process.stdout.write(${JSON.stringify(JSON.stringify(meta, null, 2) + '\n')});
} else {
  require('./docker-ipv6.cjs').main();
}
`;
writeFileSync(join(dist, 'docker-ipv6'), launcher);
chmodSync(join(dist, 'docker-ipv6'), 0o755);
const old = join(top, `.dist-old-${process.pid}`);
if (existsSync(finalDist)) renameSync(finalDist, old);
renameSync(dist, finalDist);
rmSync(old, { recursive: true, force: true });
console.log(`built dist/docker-ipv6 (version ${pkg.version})`);
