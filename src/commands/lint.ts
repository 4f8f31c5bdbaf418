// `docker ipv6 lint`: IPv6 mistakes in Compose files, Kubernetes manifests and CNI configs, with --fix for Compose.
import { Option, type Command } from 'commander';
import type { ContextFactory } from '../cli/context';

export function register(program: Command, makeContext: ContextFactory): void {
  program
    .command('lint')
    .description('check Compose files, Kubernetes manifests and CNI configs for IPv6 mistakes (exit 1 on errors)')
    .argument('<paths...>', 'files, directories (searched for *.yml, *.yaml, *.json) or - for stdin')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--fix', 'Compose files: add enable_ipv6 and an IPv6 subnet, drop the obsolete version (with --dry-run: show the diff)')
    .option('--dual-stack', 'treat the inputs as aiming at dual-stack even when none of them says so')
    .option('--require-ipv6', 'apply the "has no IPv6" rules to every file, even files that show no IPv6 intent')
    .option('--env-file <file>', 'Compose variables for interpolation (repeatable; without it only ${VAR:-default} defaults count)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--use-env', 'take Compose variables from the environment too (it wins over --env-file, as in Compose)')
    .addOption(new Option('--fail-on <level>', 'lowest finding severity that makes the exit status 1').choices(['error', 'warning', 'info', 'never']).default('error'))
    .option('--host-check', "also ask this host: Docker's networks (compose/subnet-host-collision) and, for --fix, the docker-ipv6 prefix; off by default so the same files give the same output everywhere")
    .option('--no-host-check', 'the default (kept for scripts written when the host check was on by default)')
    .addHelpText('after', '\nExit status: 0 no finding at or above --fail-on, 1 such findings (an unparsable file is an error finding), 2 usage error or unreadable input.')
    .action(async (paths: string[], opts: { format: string; fix?: boolean; dualStack?: boolean; hostCheck?: boolean; requireIpv6?: boolean; envFile?: string[]; useEnv?: boolean; failOn: 'error' | 'warning' | 'info' | 'never' }, cmd: Command) => {
      const ctx = makeContext(cmd);
      const { runLint, defaultDeps } = await import('../lint/lint');
      const format = ctx.globals.json && opts.format === 'text' ? 'json' : (opts.format as 'text' | 'json' | 'sarif');
      const code = await runLint(ctx, paths, {
        format, fix: !!opts.fix, dryRun: ctx.globals.dryRun, dualStack: !!opts.dualStack, hostCheck: opts.hostCheck === true,
        requireIpv6: !!opts.requireIpv6, envFiles: opts.envFile ?? [], useEnv: !!opts.useEnv, failOn: opts.failOn,
      }, await defaultDeps(ctx));
      if (code !== 0) process.exitCode = code;
    });
}
