// The image of this build, made here and offline: the running executable, the firewall tools it calls (ip6tables in
// both variants, nft) with their libraries and xtables extensions as this machine has them, netlink's addon already in
// its cache (the containers run read-only), and nothing else. One tarball for `docker import` (no registry).
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { TarEntry } from '../util/tar';
import { createHash } from 'node:crypto';
import { PreconditionError } from '../errors';
import { librariesOf } from './elf';

/** Where things sit in the image. */
export const IMAGE_EXE = '/usr/local/bin/docker-ipv6';
const SBIN = ['/usr/sbin', '/sbin'];
const ADDON_DIR = 'var/cache/docker-ipv6/addon';

/** `docker import --change` lines: the image runs the executable, with HOME and PATH set (no shell in it). */
export function imageChanges(version: string, build: string): string[] {
  return [
    'ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'ENV HOME=/root',
    `ENTRYPOINT ["${IMAGE_EXE}"]`,
    `LABEL com.docker-ipv6.version=${version} com.docker-ipv6.build=${build}`,
  ];
}

function findTool(name: string): string | undefined {
  for (const d of SBIN) if (existsSync(join(d, name))) return join(d, name);
  return undefined;
}

/** The executable this process runs from, when it is the single executable (an image of a source checkout would not run). */
export function runningExecutable(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sea = require('node:sea') as { isSea(): boolean };
  if (!sea.isSea()) throw new PreconditionError('docker ipv6 image packs the installed executable, and this run is not one', 'build it (npm run build) and run dist/docker-ipv6 image, or the installed docker ipv6 image');
  return realpathSync(process.execPath);
}

function addonAsset(): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sea = require('node:sea') as { getAsset(k: string): ArrayBuffer };
  return Buffer.from(sea.getAsset('netlink.node'));
}

/**
 * The image's files as tar entries (tarStream makes them one stream, nothing is copied on disk). Programs are
 * looked up in /usr/sbin and /sbin; ip6tables points at the variant this machine uses.
 */
export function imageEntries(exe: string): { entries: TarEntry[]; tools: string[] } {
  const entries: TarEntry[] = [];
  const dirs = new Set<string>();
  const dir = (d: string, mode = 0o755) => {
    const parts = d.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (dirs.has(p)) continue;
      dirs.add(p);
      entries.push({ name: p, type: 'dir', mode: i === parts.length ? mode : 0o755 });
    }
  };
  const file = (path: string, from: string, mode = 0o644) => { dir(dirname(path)); entries.push({ name: path, type: 'file', mode, from }); };
  for (const d of ['run', 'proc', 'sys', 'dev', 'host', 'root', 'etc', 'usr/sbin', 'usr/local/bin', ADDON_DIR]) dir(d);
  dir('tmp', 0o1777);
  file(IMAGE_EXE, exe, 0o755);
  const addon = addonAsset();
  entries.push({ name: `${ADDON_DIR}/${createHash('sha256').update(addon).digest('hex')}.node`, type: 'file', mode: 0o644, bytes: addon });

  const nftMulti = findTool('xtables-nft-multi');
  const legacyMulti = findTool('xtables-legacy-multi');
  const nft = findTool('nft');
  if (!nftMulti && !legacyMulti) throw new PreconditionError('no ip6tables on this machine to put in the image (xtables-nft-multi or xtables-legacy-multi)', 'apt-get install iptables');
  const tools = [nftMulti, legacyMulti, nft].filter((x): x is string => !!x);
  for (const t of tools) file(`/usr/sbin/${basename(t)}`, t, 0o755);
  // ip6tables as this machine has it (the alternatives' choice), and each variant by its own name (doctor's survey)
  const plain = (() => { try { return basename(realpathSync(findTool('ip6tables') ?? '')); } catch { return undefined; } })();
  const dflt = plain === 'xtables-legacy-multi' && legacyMulti ? 'xtables-legacy-multi' : nftMulti ? 'xtables-nft-multi' : 'xtables-legacy-multi';
  for (const fam of ['iptables', 'ip6tables']) {
    for (const sfx of ['', '-save', '-restore']) {
      for (const [name, target] of [[`${fam}${sfx}`, dflt], [`${fam}-nft${sfx}`, nftMulti && 'xtables-nft-multi'], [`${fam}-legacy${sfx}`, legacyMulti && 'xtables-legacy-multi']] as const) {
        if (target) entries.push({ name: `usr/sbin/${name}`, type: 'symlink', target });
      }
    }
  }
  // xtables loads its extensions (comment, conntrack, ...) from its library folder at run time
  const extDirs = ['/usr/lib/x86_64-linux-gnu/xtables', '/usr/lib64/xtables', '/usr/lib/xtables', '/lib/xtables'].filter((d) => existsSync(d));
  const exts = extDirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.so')).map((f) => join(d, f)));
  for (const f of exts) file(f, f, 0o644);
  // their libraries, read from their ELF headers, at the paths the loader looks in
  for (const l of librariesOf([exe, ...tools, ...exts])) file(l, realpathSync(l), 0o755);
  // protocol names for ip6tables-save (-p tcp, not -p 6), root's account for the runtime
  for (const f of ['/etc/protocols', '/etc/services']) if (existsSync(f)) file(f, f);
  entries.push({ name: 'etc/passwd', type: 'file', mode: 0o644, bytes: Buffer.from('root:x:0:0:root:/root:/usr/sbin/nologin\n') });
  entries.push({ name: 'etc/group', type: 'file', mode: 0o644, bytes: Buffer.from('root:x:0:\n') });
  return { entries, tools: tools.map((t) => basename(t)) };
}
