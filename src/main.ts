// Entry of the bundled CLI (the launcher answers the metadata request before this file loads).
import { CommanderError } from 'commander';
import { splitArgv } from './cli/argv';
import { buildProgram } from './cli/program';
import { ExitCode, isToolError } from './errors';

export function renderError(e: unknown, debug: boolean): { text: string; code: number } {
  if (isToolError(e)) {
    let text = `docker ipv6: error: ${e.message}\n`;
    if (e.hint) text += `  hint: ${e.hint}\n`;
    if (debug && e.stack) text += `${e.stack}\n`;
    return { text, code: e.exitCode };
  }
  const err = e as Error;
  let text = `docker ipv6: internal error: ${err?.message ?? String(e)}\n`;
  text += debug && err?.stack ? `${err.stack}\n` : '  (run again with --debug for a stack trace)\n';
  return { text, code: ExitCode.failure };
}

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
