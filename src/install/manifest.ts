// The install manifest as data: what `install` records, and the check that a manifest names only what install
// could have put in place (our executable, files under our lib folder, our units, folders on the way to ours),
// so that uninstall, which deletes what the manifest lists, can never be pointed at anything else.
import { basename, dirname, isAbsolute, posix } from 'node:path';

export interface Manifest { version: 1; files: string[]; dirs: string[]; symlinks: string[]; enabledUnits: string[] }

/** The folders an install owns (installLayout), and the folder nothing is removed at or above. */
export interface ManifestScope {
  user: boolean;
  /** the home folder (--user) or the --root: never removed, nor anything above it */
  base: string;
  libDir: string;
  pluginDir: string;
  pluginLink: string;
  unitDir: string;
}

const UNIT_NAME = /^docker-ipv6-[a-z0-9-]+\.(service|timer)$/;

const under = (p: string, dir: string) => p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** A path as install writes it: absolute, normalised (no `..`, `.`, `//` or trailing slash). */
function plainPath(p: unknown): p is string {
  return typeof p === 'string' && isAbsolute(p) && posix.normalize(p) === p && (p === '/' || !p.endsWith('/'));
}

/** Why `raw` is not a manifest install could have written for `s`, or undefined when it is one. */
export function manifestProblem(raw: unknown, s: ManifestScope): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'it is not a JSON object';
  const m = raw as Record<string, unknown>;
  if (m.version !== 1) return `version ${JSON.stringify(m.version)} is not 1`;
  for (const k of ['files', 'dirs', 'symlinks', 'enabledUnits']) {
    if (!Array.isArray(m[k])) return `${k} is not a list`;
  }
  const { files, dirs, symlinks, enabledUnits } = m as unknown as Manifest;
  const ourFile = (p: string) => p === s.pluginLink || under(p, s.libDir) || (!s.user && dirname(p) === s.unitDir && UNIT_NAME.test(basename(p)));
  for (const p of [...files, ...symlinks]) {
    if (!plainPath(p) || !ourFile(p)) return `it lists ${JSON.stringify(p)}, which is not a file install puts in place`;
  }
  // folders install may have created: ours, and the missing ones on the way to them (removed only when empty)
  const ours = [s.libDir, s.pluginDir, ...(s.user ? [] : [s.unitDir])];
  const ourDir = (p: string) => under(p, s.base) && (ours.some((d) => d === p || under(d, p)) || under(p, s.libDir));
  for (const p of dirs) {
    if (!plainPath(p) || !ourDir(p)) return `it lists the folder ${JSON.stringify(p)}, which is not one install creates`;
  }
  if (s.user && enabledUnits.length) return 'it lists enabled units, which an install with --user never has (its units are not installed)';
  for (const u of enabledUnits) {
    if (typeof u !== 'string' || !UNIT_NAME.test(u)) return `it lists ${JSON.stringify(u)} as an enabled unit, which is not one of docker-ipv6's`;
  }
  return undefined;
}
