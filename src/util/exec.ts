// The one place that runs external programs: argument arrays only, a timeout, errors that name the command.
import { spawn } from 'node:child_process';
import { CommandError, PreconditionError } from '../errors';

export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are not an error (returned in the result). */
  okCodes?: number[];
  /** Human meanings of exit codes, used in the error message. */
  meanings?: Record<number, string>;
  hint?: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Runner = (argv: readonly string[], opts?: ExecOptions) => Promise<ExecResult>;

/** Observers of every command run (used by --verbose and by benchmarks counting spawns). */
const listeners: Array<(argv: readonly string[]) => void> = [];
export function onExec(fn: (argv: readonly string[]) => void): () => void {
  listeners.push(fn);
  return () => { const i = listeners.indexOf(fn); if (i >= 0) listeners.splice(i, 1); };
}

const XTABLES_MEANINGS: Record<number, string> = { 1: 'other error', 2: 'invalid or missing option', 3: 'incompatible kernel / module missing', 4: 'resource problem, e.g. xtables lock held' };

export const run: Runner = (argv, opts = {}) => {
  if (argv.length === 0) throw new Error('run: empty argv');
  for (const l of listeners) l(argv);
  const meanings = opts.meanings ?? (/ip6?tables/.test(argv[0]) ? XTABLES_MEANINGS : undefined);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    // our own timer, not spawn's `timeout`: Node 20 never clears that one when the program is missing
    // (spawn error), which kept a finished doctor alive for the whole 60 s
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    const done = () => clearTimeout(timer);
    child.on('error', done);
    child.on('close', done);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(new PreconditionError(`${argv[0]} is not installed (or not on PATH)`, opts.hint ?? `install the package that provides ${argv[0]}`));
      } else reject(new CommandError(argv, null, String(err.message), undefined, opts.hint));
    });
    child.on('close', (code, signal) => {
      const c = code ?? -1;
      if (signal === null && (c === 0 || opts.okCodes?.includes(c))) resolve({ code: c, stdout, stderr });
      else reject(new CommandError(argv, signal ? null : c, stderr, meanings?.[c], opts.hint));
    });
    child.stdin.on('error', () => { /* child exited before reading input; the close handler reports */ });
    child.stdin.end(opts.input ?? '');
  });
};
