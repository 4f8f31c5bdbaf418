// The image of this build, made here and offline: the running executable, the firewall tools it calls (ip6tables in
// both variants, nft) with their libraries and xtables extensions as this machine has them, netlink's addon already in
// its cache (the containers run read-only), and nothing else. One tarball for `docker import` (no registry).
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { PreconditionError } from '../errors';
import { run } from '../util/exec';

/** Where things sit in the image. */
export const IMAGE_EXE = '/usr/local/bin/docker-ipv6';
const SBIN = ['/usr/sbin', '/sbin'];
const ADDON_DIR = '/var/cache/docker-ipv6/addon';

/** `docker import --change` lines: the image runs the executable, with HOME and PATH set (no shell in it). */
export function imageChanges(version: string, build: string): string[] {
  return [
    'ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'ENV HOME=/root',
    `ENTRYPOINT ["${IMAGE_EXE}"]`,
    `LABEL com.docker-ipv6.version=${version} com.docker-ipv6.build=${build}`,
  ];
}

/** Shared libraries an ELF file needs, from `ldd` (the loader included). */
export function parseLdd(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /=>\s*(\/\S+)\s*\(/.exec(line) ?? /^\s*(\/\S+)\s*\(/.exec(line);
    if (m) out.add(m[1]);
  }
  return [...out];
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
 * Builds the image's root folder in a temp folder and tars it; returns the tarball's path (remove its folder when
 * done: `cleanup`). Programs are looked up in /usr/sbin and /sbin; ip6tables points at the variant this machine uses.
 */
export async function buildRootfsTar(exe: string): Promise<{ tar: string; cleanup(): void; tools: string[] }> {
  const work = mkdtempSync(join(tmpdir(), 'docker-ipv6-image-'));
  const cleanup = () => rmSync(work, { recursive: true, force: true });
  try {
    const root = join(work, 'rootfs');
    const put = (path: string, from: string) => { mkdirSync(join(root, dirname(path)), { recursive: true }); copyFileSync(from, join(root, path)); };
    for (const d of ['tmp', 'run', 'proc', 'sys', 'dev', 'host', 'root', 'etc', 'usr/sbin', 'usr/local/bin', ADDON_DIR.slice(1)]) mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
    chmodSync(join(root, 'tmp'), 0o1777);
    put(IMAGE_EXE, exe);
    chmodSync(join(root, IMAGE_EXE), 0o755);
    const addon = addonAsset();
    writeFileSync(join(root, ADDON_DIR, `${createHash('sha256').update(addon).digest('hex')}.node`), addon, { mode: 0o644 });

    const nftMulti = findTool('xtables-nft-multi');
    const legacyMulti = findTool('xtables-legacy-multi');
    const nft = findTool('nft');
    if (!nftMulti && !legacyMulti) throw new PreconditionError('no ip6tables on this machine to put in the image (xtables-nft-multi or xtables-legacy-multi)', 'apt-get install iptables');
    const elves = [exe, ...[nftMulti, legacyMulti, nft].filter((x): x is string => !!x)];
    for (const t of [nftMulti, legacyMulti, nft]) if (t) { put(`/usr/sbin/${basename(t)}`, t); chmodSync(join(root, 'usr/sbin', basename(t)), 0o755); }
    // ip6tables as this machine has it (the alternatives' choice), and each variant by its own name (doctor's survey)
    const plain = (() => { try { return basename(realpathSync(findTool('ip6tables') ?? '')); } catch { return undefined; } })();
    const dflt = plain === 'xtables-legacy-multi' && legacyMulti ? 'xtables-legacy-multi' : nftMulti ? 'xtables-nft-multi' : 'xtables-legacy-multi';
    const links: Array<[string, string | undefined]> = [];
    for (const fam of ['iptables', 'ip6tables']) {
      for (const sfx of ['', '-save', '-restore']) {
        links.push([`${fam}${sfx}`, dflt]);
        links.push([`${fam}-nft${sfx}`, nftMulti && 'xtables-nft-multi']);
        links.push([`${fam}-legacy${sfx}`, legacyMulti && 'xtables-legacy-multi']);
      }
    }
    for (const [name, target] of links) if (target) symlinkSync(target, join(root, 'usr/sbin', name));
    // xtables loads its extensions (comment, conntrack, ...) from its library folder at run time
    const extDirs = ['/usr/lib/x86_64-linux-gnu/xtables', '/usr/lib64/xtables', '/usr/lib/xtables', '/lib/xtables'].filter((d) => existsSync(d));
    const exts = extDirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.so')).map((f) => join(d, f)));
    for (const f of exts) put(f, f);
    // one ldd for all of them (it prints each file's list under its name)
    const r = await run(['ldd', ...elves, ...exts], { timeoutMs: 60_000, okCodes: [1] });
    for (const l of parseLdd(r.stdout)) put(l, realpathSync(l));
    // protocol names for ip6tables-save (-p tcp, not -p 6), root's account for the runtime
    for (const f of ['/etc/protocols', '/etc/services']) if (existsSync(f)) put(f, f);
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/usr/sbin/nologin\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
    const tar = join(work, 'image.tar');
    await run(['tar', '-C', root, '--numeric-owner', '--owner=0', '--group=0', '-cf', tar, '.'], { timeoutMs: 120_000 });
    return { tar, cleanup, tools: elves.slice(1).map((e) => basename(e)) };
  } catch (e) {
    cleanup();
    throw e;
  }
}
