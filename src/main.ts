// Entry of the bundled CLI (the launcher answers the metadata request before this file loads).
import { CommanderError } from 'commander';
import { splitArgv } from './cli/argv';
import { buildProgram } from './commands/program';
import { ExitCode, renderError } from './errors';

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const split = splitArgv(argv);
  const debug = split.docker.debug || split.args.includes('--debug');
  const program = buildProgram(split);
  if (split.args.length === 0) {
    // `docker ipv6` alone, like `docker network`: the help, and success
    program.outputHelp();
    return;
  }
  try {
    await program.parseAsync(split.args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version print themselves and exit 0; other commander errors are usage errors
      process.exitCode = e.exitCode === 0 ? 0 : ExitCode.usage;
      return;
    }
    // an interrupted transaction throws InterruptedError, whose exit code is 130
    const { text, code } = renderError(e, debug);
    process.stderr.write(text);
    process.exitCode = code;
  }
}
