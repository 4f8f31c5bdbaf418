// Installs the built plugin (and the systemd units) and removes exactly what was installed.
import { cp, lstat, mkdir, readdir, readFile, readlink, rm, symlink, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { underRoot } from '../cli/globals';
import { PreconditionError } from '../errors';
import { replaceFile } from '../host/files';
import { run } from '../util/exec';

export interface InstallOptions {
  root: string;
  user: boolean;
  /** folder holding the built docker-ipv6 launcher, bundle and native files */
  distDir: string;
  /** folder holding the *.service units */
  unitsSrc?: string;
  enableUnits: boolean;
  home?: string;
  dryRun?: boolean;
}

export interface Manifest { version: 1; files: string[]; dirs: string[]; symlinks: string[]; enabledUnits: string[] }

export function installLayout(o: Pick<InstallOptions, 'root' | 'user' | 'home'>) {
  const home = o.home ?? homedir();
  const libDir = o.user ? join(home, '.local/lib/docker-ipv6') : underRoot(o.root, '/usr/local/lib/docker-ipv6');
  const pluginDir = o.user ? join(home, '.docker/cli-plugins') : underRoot(o.root, '/usr/local/lib/docker/cli-plugins');
  return { libDir, pluginDir, pluginLink: join(pluginDir, 'docker-ipv6'), unitDir: underRoot(o.root, '/etc/systemd/system'), manifest: join(libDir, 'manifest.json') };
}

async function exists(p: string): Promise<boolean> {
  try { await lstat(p); return true; } catch { return false; }
}

export async function install(o: InstallOptions, log: (s: string) => void): Promise<Manifest> {
  const L = installLayout(o);
  if (!(await exists(join(o.distDir, 'docker-ipv6')))) {
    throw new PreconditionError(`no built plugin in ${o.distDir}`, 'build it first: npm run build');
  }
  const m: Manifest = { version: 1, files: [], dirs: [], symlinks: [], enabledUnits: [] };
  const units = o.unitsSrc && (await exists(o.unitsSrc)) ? (await readdir(o.unitsSrc)).filter((f) => /\.(service|timer)$/.test(f)).sort() : [];
  log(`plugin files -> ${L.libDir}`);
  log(`plugin link  -> ${L.pluginLink}`);
  if (o.user && units.length) log('systemd units are not installed with --user (they run as root)');
  else for (const u of units) log(`unit         -> ${join(L.unitDir, u)}${o.enableUnits ? ' (enabled)' : ''}`);
  if (o.dryRun) return m;
  const keep = o.user ? [o.home ?? homedir()] : [];
  for (const d of [L.libDir, L.pluginDir]) await mkdirTracked(d, m, keep);
  await cp(o.distDir, L.libDir, { recursive: true, force: true });
  m.files.push(...(await listFiles(o.distDir)).map((f) => join(L.libDir, f)));
  if (await exists(L.pluginLink)) {
    const cur = await readlink(L.pluginLink).catch(() => undefined);
    if (cur !== join(L.libDir, 'docker-ipv6')) throw new PreconditionError(`${L.pluginLink} exists and is not ours`, `remove it first: rm ${L.pluginLink}`);
    await unlink(L.pluginLink);
  }
  await symlink(join(L.libDir, 'docker-ipv6'), L.pluginLink);
  m.symlinks.push(L.pluginLink);
  if (!o.user) {
    for (const u of units) {
      const dst = join(L.unitDir, u);
      await mkdirTracked(L.unitDir, m);
      await replaceFile(dst, await readFile(join(o.unitsSrc!, u)), { mode: 0o644 });
      m.files.push(dst);
    }
    if (units.length && o.root === '/') {
      await run(['systemctl', 'daemon-reload']).catch(() => log('systemctl daemon-reload failed (no systemd?)'));
      if (o.enableUnits) {
        await run(['systemctl', 'enable', ...units]);
        m.enabledUnits.push(...units);
      }
    }
  }
  await replaceFile(L.manifest, `${JSON.stringify(m, null, 2)}\n`, { mode: 0o644 });
  return m;
}

/**
 * mkdir -p that records every folder it created (outermost first), so uninstall removes exactly
 * those; never the home folder or anything above it, even when it had to create them.
 */
async function mkdirTracked(d: string, m: Manifest, keep: string[] = []): Promise<void> {
  const missing: string[] = [];
  for (let p = d; !(await exists(p)); p = dirname(p)) missing.unshift(p);
  for (const p of missing.filter((x) => keep.some((k) => k === x || k.startsWith(`${x}/`)))) await mkdir(p, { mode: 0o755 });
  for (const p of missing.filter((x) => !keep.some((k) => k === x || k.startsWith(`${x}/`)))) { await mkdir(p, { mode: 0o755 }); m.dirs.push(p); }
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = join(prefix, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** Removes exactly what the manifest says was installed. */
export async function uninstall(o: Pick<InstallOptions, 'root' | 'user' | 'home' | 'dryRun'>, log: (s: string) => void): Promise<void> {
  const L = installLayout(o);
  let m: Manifest;
  try {
    m = JSON.parse(await readFile(L.manifest, 'utf8'));
  } catch {
    throw new PreconditionError(`docker-ipv6 is not installed at ${L.libDir} (no manifest)`, o.user ? 'it may be installed system-wide: run without --user' : 'it may be installed per user: run with --user');
  }
  if (m.enabledUnits.length && o.root === '/' && !o.dryRun) await run(['systemctl', 'disable', ...m.enabledUnits]).catch(() => undefined);
  for (const p of [...m.symlinks, ...m.files, L.manifest]) {
    log(`remove ${p}`);
    if (!o.dryRun) await rm(p, { force: true });
  }
  // folders we created, deepest first, plus the now-empty subfolders of the lib folder
  if (!o.dryRun) {
    await removeEmptyDirs(L.libDir);
    for (const d of [...m.dirs].reverse()) {
      if (await exists(d)) { log(`remove ${d}/`); await rmdirIfEmpty(d); }
    }
  }
}

async function rmdirIfEmpty(d: string): Promise<void> {
  const { rmdir } = await import('node:fs/promises');
  await rmdir(d).catch(() => undefined);
}

async function removeEmptyDirs(d: string): Promise<void> {
  if (!(await exists(d))) return;
  for (const e of await readdir(d, { withFileTypes: true })) if (e.isDirectory()) await removeEmptyDirs(join(d, e.name));
  await rmdirIfEmpty(d);
}
