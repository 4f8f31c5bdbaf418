// `docker ipv6 doctor`: diagnose every IPv6 layer, each finding with its fix; --fix applies the safe ones.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';

export function register(program: Command, makeContext: ContextFactory): void {
  program
    .command('doctor')
    .description('diagnose every IPv6 layer (kernel, daemon, networks, containers, ports, DNS, firewall, outside), each finding with its fix')
    .option('--fix', 'apply the safe, reversible fixes in one transaction (rolled back on failure), print the others, check again')
    .option('--probe', 'add live checks: AAAA from the embedded DNS, egress to the upstream router, a published port')
    .option('--probe-target <address>', 'the IPv6 address the egress probe pings (default: the host\'s IPv6 default gateway)')
    .option('--compose <file>', 'also lint this Compose file (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--all-contexts', 'every Docker context (docker context ls), one row each (also: --context A --context B)')
    .option('--details', 'with several hosts: each host\'s findings after the table')
    .addHelpText('after', '\nExit status: 0 nothing failed, 1 a check failed, 2 doctor itself could not run; with several hosts, the worst host\'s.')
    .action(async (opts: { fix?: boolean; probe?: boolean; probeTarget?: string; compose?: string[]; allContexts?: boolean; details?: boolean }, cmd: Command) => {
      const { renderError } = await import('../errors');
      let ctx;
      try {
        ctx = makeContext(cmd);
        const { isFleet } = await import('../fleet/fleet');
        if (isFleet(ctx, !!opts.allContexts)) {
          if (opts.fix || opts.probe) {
            const { UsageError } = await import('../errors');
            throw new UsageError(`doctor ${opts.fix ? '--fix' : '--probe'} works on one host at a time`, 'run it with one --context (or on that host): docker --context NAME ipv6 doctor --fix');
          }
          const { runFleetDoctor } = await import('../fleet/read-out');
          process.exitCode = await runFleetDoctor(ctx, { all: !!opts.allContexts, details: !!opts.details, compose: opts.compose });
          return;
        }
        const { runDoctor } = await import('../doctor/doctor');
        process.exitCode = await runDoctor(ctx, { fix: opts.fix, probe: opts.probe, probeTarget: opts.probeTarget, compose: opts.compose });
      } catch (e) {
        // doctor runs when things are broken: anything that stops it is exit 2, with the reason
        const { text } = renderError(e, !!ctx?.globals.debug);
        process.stderr.write(text);
        process.exitCode = 2;
      }
    });
}
