// `docker ipv6 install` / `uninstall`: put the plugin and units in place, or remove exactly them.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

export function register(program: Command, makeContext: ContextFactory): void {
  const uninstallAction = async (opts: { user?: boolean }, cmd: Command) => {
    const ctx = makeContext(cmd);
    const { uninstall } = await import('../install/install');
    const removed: string[] = [];
    await uninstall({ root: ctx.globals.root, user: !!opts.user, dryRun: ctx.globals.dryRun, home: ctx.env.HOME, services: ctx.host.services,
      guard: { stateFile: ctx.paths.stateFile, journalFile: ctx.paths.journalFile, force: ctx.env.DOCKER_IPV6_FORCE_REMOVE === '1' } }, (l) => (ctx.globals.json ? removed.push(l.replace(/^remove /, '')) : ctx.note(l)));
    if (ctx.globals.json) ctx.outJson({ dryRun: ctx.globals.dryRun, removed });
  };
  program
    .command('install')
    .description('install the plugin executable into docker\'s cli-plugins folder and the systemd units (not enabled unless --enable)')
    .option('--user', 'install for this user only (~/.docker/cli-plugins)')
    .option('--enable', 'enable the systemd units')
    .option('--uninstall', 'remove what install put in place instead (same as `uninstall`)')
    .option('--from <file>', 'the docker-ipv6 executable to install (default: the running one)')
    .action(async (opts: { user?: boolean; enable?: boolean; uninstall?: boolean; from?: string }, cmd: Command) => {
      if (opts.uninstall) return uninstallAction(opts, cmd);
      const ctx = makeContext(cmd);
      const { install } = await import('../install/install');
      const { bundledUnits, defaultExecutable } = await import('../install/install');
      const lines: string[] = [];
      const m = await install({ root: ctx.globals.root, user: !!opts.user, executable: opts.from ?? defaultExecutable(), units: bundledUnits(), enableUnits: !!opts.enable, dryRun: ctx.globals.dryRun, home: ctx.env.HOME, services: ctx.host.services }, (l) => (ctx.globals.json ? lines.push(l) : ctx.note(l)));
      if (ctx.globals.json) ctx.outJson({ dryRun: ctx.globals.dryRun, plan: lines, files: m.files, links: m.symlinks, createdDirs: m.dirs, enabledUnits: m.enabledUnits });
      else ctx.note(ctx.globals.dryRun ? 'dry run: nothing changed' : 'installed: try `docker ipv6 status`');
    });
  program
    .command('uninstall')
    .description('remove exactly what install put in place')
    .option('--user', 'the per-user installation')
    .action(uninstallAction);
}
