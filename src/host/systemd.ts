// The service manager adapter: systemd through systemctl, argument arrays through the one exec path. It tells
// whether systemd runs this host's services at all (a container or a lab has none) and never starts or stops
// a unit where it does not; under a --root other than / it manages only the unit links (`systemctl --root`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { run } from '../util/exec';
import type { ServiceManager, UnitFacts } from './interfaces';

/** Where unit files are found, first match wins (systemd's own search order for the system manager). */
export const UNIT_DIRS = ['/etc/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

const UNIT_RE = /^docker-ipv6-(boot|apply|agent)\.service$/;

/** Only our own units ever reach an argument list. */
function checkUnits(units: readonly string[]): string[] {
  for (const u of units) if (!UNIT_RE.test(u)) throw new UsageError(`not a docker-ipv6 unit: ${JSON.stringify(u)}`);
  return [...units];
}

/**
 * sd_booted(): systemd is the service manager of this host when /run/systemd/system exists. A run under another
 * --root works on a tree, not on the running host: nothing there is started or stopped.
 */
export function systemdServices(opts: { root: string; booted?: () => boolean }): ServiceManager {
  const root = opts.root;
  const booted = opts.booted ?? (() => existsSync('/run/systemd/system'));
  const rootArgs = root === '/' ? [] : [`--root=${root}`];
  const systemctl = (args: string[], okCodes: number[] = []) => run(['systemctl', ...rootArgs, ...args], { timeoutMs: 90_000, okCodes, hint: 'check the unit with: systemctl status UNIT; journalctl -u UNIT' });
  const running = async () => root === '/' && booted();
  return {
    running,
    async units(names) {
      const live = await running();
      const out: UnitFacts[] = [];
      for (const name of checkUnits(names)) {
        const dir = UNIT_DIRS.find((d) => existsSync(join(root, d, name)));
        if (!dir) { out.push({ name, enabled: false }); continue; }
        // is-enabled works offline too (--root); exit 1 is "disabled"
        const en = await systemctl(['is-enabled', name], [1]).then((r) => r.stdout.trim(), () => '');
        const active = live ? (await systemctl(['is-active', name], [1, 3, 4]).then((r) => r.stdout.trim(), () => '')) === 'active' : undefined;
        out.push({ name, path: join(dir, name), enabled: en === 'enabled', ...(active === undefined ? {} : { active }) });
      }
      return out;
    },
    async reload() { if (await running()) await systemctl(['daemon-reload']); },
    async enable(units) { if (units.length) await systemctl(['enable', '--', ...checkUnits(units)]); },
    async disable(units) { if (units.length) await systemctl(['disable', '--', ...checkUnits(units)]); },
    async start(units, o = {}) {
      if (!units.length) return;
      if (!(await running())) throw new UsageError('systemd does not run this host\'s services: nothing can be started with systemctl');
      await systemctl(['start', ...(o.wait === false ? ['--no-block'] : []), '--', ...checkUnits(units)]);
    },
    async stop(units) {
      if (!units.length || !(await running())) return;
      await systemctl(['stop', '--', ...checkUnits(units)]);
    },
  };
}
