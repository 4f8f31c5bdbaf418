// The systemd units the executable carries (`docker ipv6 install` writes them; enable puts them in place where systemd
// runs and they are missing): inside the executable (DOCKER_IPV6_UNITS), or the source tree's systemd/ folder.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSea } from 'node:sea';

export function bundledUnits(): Record<string, string> {
  const embedded = process.env.DOCKER_IPV6_UNITS;
  if (embedded) return JSON.parse(embedded) as Record<string, string>;
  const dir = join(__dirname, '../../systemd');
  return Object.fromEntries(readdirSync(dir).filter((f) => /\.(service|timer)$/.test(f)).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** The executable to install: the running one when it is the single executable, else the build's. */
export function defaultExecutable(): string {
  return isSea() ? process.execPath : join(__dirname, '../../dist/docker-ipv6');
}
