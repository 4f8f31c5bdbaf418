// Installs the plugin executable (and the systemd units it carries) and removes exactly what was installed.
import { lstatSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { underRoot } from '../cli/globals';
import { ConfigError, PreconditionError } from '../errors';
import { replaceFile } from '../host/files';
import { trustProblem, untrustedError } from '../host/trust';
import { shellQuote } from '../util/shell-quote';
import { manifestProblem, type Manifest, type ManifestScope } from './manifest';
import { removalRefusal } from './removal';
import type { ToolState } from '../model/state';
import type { ServiceManager } from '../host/interfaces';

export { bundledUnits, defaultExecutable } from '../host/units';

export interface InstallOptions {
  root: string;
  user: boolean;
  /** the docker-ipv6 executable to install (the running one, or dist/docker-ipv6) */
  executable: string;
  /** the systemd units by file name (the executable carries them) */
  units?: Record<string, string>;
  enableUnits: boolean;
  home?: string;
  dryRun?: boolean;
  /** systemd (the run's service manager): links made with --root too, so --enable works on a tree */
  services?: Pick<ServiceManager, 'reload' | 'enable' | 'disable'>;
}

export type { Manifest } from './manifest';

export function installLayout(o: Pick<InstallOptions, 'root' | 'user' | 'home'>) {
  const home = o.home ?? homedir();
  // libDir holds only the manifest of what was installed (an older layout also put the bundles there)
  const libDir = o.user ? join(home, '.local/lib/docker-ipv6') : underRoot(o.root, '/usr/local/lib/docker-ipv6');
  const pluginDir = o.user ? join(home, '.docker/cli-plugins') : underRoot(o.root, '/usr/local/lib/docker/cli-plugins');
  return { libDir, pluginDir, pluginLink: join(pluginDir, 'docker-ipv6'), unitDir: underRoot(o.root, '/etc/systemd/system'), manifest: join(libDir, 'manifest.json') };
}

type Layout = ReturnType<typeof installLayout>;

/**
 * As root, the folders install and uninstall act in must be root's (trust.ts): a manifest in a folder another user
 * controls could name any file for root to delete, and a folder of theirs could be swapped for a link while root
 * writes through it. A home folder that belongs to someone else is that user's to change: the hint runs the same
 * command as its owner.
 */
function assertFoldersTrusted(o: Pick<InstallOptions, 'user' | 'home'>, L: Layout, verb: 'install' | 'uninstall'): void {
  if (process.geteuid?.() !== 0) return;
  const checks: Array<[string, string]> = [[L.libDir, 'the install folder'], [L.manifest, 'the install manifest'], [L.pluginDir, 'the plugin folder']];
  for (const [path, what] of checks) {
    const p = trustProblem(path);
    if (!p) continue;
    if (o.user && p.uid !== 0) {
      const home = resolve(o.home ?? homedir());
      const gid = lstatSync(p.path).gid;
      throw new PreconditionError(
        `refusing to ${verb} --user as root under ${home}: ${p.path} belongs to uid ${p.uid}, so ${what} ${path} is that user's to change, and root would act on what they put there`,
        `run it as that user instead of root: setpriv --reuid=${p.uid} --regid=${gid} --clear-groups env HOME=${shellQuote(home)} docker ipv6 ${verb} --user`,
      );
    }
    throw untrustedError(what, path, p);
  }
}

function scopeOf(o: Pick<InstallOptions, 'root' | 'user' | 'home'>, L: Layout): ManifestScope {
  return { user: o.user, base: resolve(o.user ? (o.home ?? homedir()) : o.root), libDir: L.libDir, pluginDir: L.pluginDir, pluginLink: L.pluginLink, unitDir: L.unitDir };
}

async function exists(p: string): Promise<boolean> {
  try { await lstat(p); return true; } catch { return false; }
}

export async function install(o: InstallOptions, log: (s: string) => void): Promise<Manifest> {
  const L = installLayout(o);
  assertFoldersTrusted(o, L, 'install');
  if (!(await exists(o.executable)) || (await lstat(o.executable)).isDirectory()) {
    throw new PreconditionError(`no built plugin at ${o.executable}`, 'build it first: npm run build');
  }
  const m: Manifest = { version: 1, files: [], dirs: [], symlinks: [], enabledUnits: [] };
  const units = Object.keys(o.units ?? {}).filter((f) => /\.(service|timer)$/.test(f)).sort();
  const ours = await exists(L.manifest);
  log(`plugin       -> ${L.pluginLink}`);
  if (o.user && units.length) log('systemd units are not installed with --user (they run as root)');
  else for (const u of units) log(`unit         -> ${join(L.unitDir, u)}${o.enableUnits ? ' (enabled)' : ''}`);
  if (!ours && (await exists(L.pluginLink))) throw new PreconditionError(`${L.pluginLink} exists and is not ours`, `remove it first: rm ${L.pluginLink}`);
  if (o.dryRun) return m;
  // an earlier install (this layout or the older one with a lib folder and a link) goes first, exactly
  if (ours) {
    const before = JSON.parse(await readFile(L.manifest, 'utf8').catch(() => '{}')) as Partial<Manifest>;
    m.enabledUnits.push(...(before.enabledUnits ?? []));
    await uninstall({ root: o.root, user: o.user, home: o.home, keepUnitsEnabled: true, services: o.services }, () => {});
  }
  const keep = o.user ? [o.home ?? homedir()] : [];
  await mkdirTracked(L.libDir, m, keep);
  await mkdirTracked(L.pluginDir, m, keep);
  await replaceFile(L.pluginLink, await readFile(o.executable), { mode: 0o755 });
  m.files.push(L.pluginLink);
  if (!o.user) {
    for (const u of units) {
      const dst = join(L.unitDir, u);
      await mkdirTracked(L.unitDir, m);
      await replaceFile(dst, o.units![u], { mode: 0o644 });
      m.files.push(dst);
    }
    if (units.length && o.services) {
      await o.services.reload().catch(() => log('systemctl daemon-reload failed'));
      if (o.enableUnits) {
        // under --root, systemctl --root makes the links in that tree (no systemd needs to run)
        await o.services.enable(units);
        m.enabledUnits.push(...units.filter((u) => !m.enabledUnits.includes(u)));
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

/**
 * Removes exactly what the manifest says was installed, once the manifest is shown to name only what install puts
 * in place (manifest.ts); a manifest naming anything else is refused before anything is removed.
 */
export async function uninstall(o: Pick<InstallOptions, 'root' | 'user' | 'home' | 'dryRun' | 'services'> & { keepUnitsEnabled?: boolean; guard?: RemovalGuard }, log: (s: string) => void): Promise<void> {
  const L = installLayout(o);
  assertFoldersTrusted(o, L, 'uninstall');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(L.manifest, 'utf8'));
  } catch {
    throw new PreconditionError(`docker-ipv6 is not installed at ${L.libDir} (no manifest)`, o.user ? 'it may be installed system-wide: run without --user' : 'it may be installed per user: run with --user');
  }
  const problem = manifestProblem(raw, scopeOf(o, L));
  if (problem) {
    throw new ConfigError(`the install manifest ${L.manifest} was not written by docker ipv6 install: ${problem}`, `nothing was removed; look at who changed it, then remove what install put in place by hand (${L.pluginLink}, ${L.libDir})`);
  }
  const m = raw as Manifest;
  // system-wide, the units go: refused while they are what keeps the host closed, as the deb's prerm refuses
  if (!o.user && !o.keepUnitsEnabled && o.guard) await checkRemoval(o.guard, log);
  // units are only installed (and enabled) system-wide: a per-user uninstall never asks systemctl anything
  if (m.enabledUnits.length && o.services && !o.user && !o.dryRun && !o.keepUnitsEnabled) await o.services.disable(m.enabledUnits).catch(() => undefined);
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

/** Where the tool's state is, and whether to remove anyway (DOCKER_IPV6_FORCE_REMOVE=1, as for apt remove). */
export interface RemovalGuard { stateFile: string; journalFile: string; force: boolean }

async function checkRemoval(g: RemovalGuard, log: (s: string) => void): Promise<void> {
  let state: ToolState | undefined;
  // an unreadable state says nothing either way (the prerm's greps find nothing in it either)
  try { state = JSON.parse(await readFile(g.stateFile, 'utf8')) as ToolState; } catch { state = undefined; }
  const refusal = removalRefusal(typeof state === 'object' && state ? state : undefined, await exists(g.journalFile), g);
  if (!refusal) return;
  if (g.force) { log(`removing docker-ipv6 anyway (DOCKER_IPV6_FORCE_REMOVE=1), although ${refusal.why}`); return; }
  throw new PreconditionError(`refusing to uninstall docker-ipv6: ${refusal.why}`,
    `first: ${refusal.first}; then: docker ipv6 uninstall. To remove it anyway (the state stays in ${dirname(g.stateFile)}): env DOCKER_IPV6_FORCE_REMOVE=1 docker ipv6 uninstall`);
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
