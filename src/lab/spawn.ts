// Long-running and interactive processes, which util/exec's run() (capture, then return) cannot serve:
// a detached daemon logging to a file, and a command attached to our terminal whose exit code we pass on.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { PreconditionError } from '../errors';

/** Start a daemon in its own session, stdout+stderr appended to logFile; returns its pid. */
export function spawnDetached(argv: readonly string[], env: NodeJS.ProcessEnv, logFile: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new PreconditionError(`cannot start ${argv[0]}`, `check that ${argv[0]} is installed`);
    child.on('error', () => { /* reported through the readiness wait and the log */ });
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Run a command on our own stdio; resolves to its exit code (128+N when killed by signal N). */
export function runAttached(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env });
    // TERM and HUP are usually aimed at us alone: pass them on. Ctrl-C already reaches the child
    // (same process group), so SIGINT is only kept from killing us before the child's exit code.
    const forward = (sig: NodeJS.Signals) => { child.kill(sig); };
    const ignore = () => { /* the child got it too */ };
    const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    process.on('SIGINT', ignore);
    const done = () => { for (const s of signals) process.off(s, forward); process.off('SIGINT', ignore); };
    child.on('error', (err: NodeJS.ErrnoException) => {
      done();
      reject(err.code === 'ENOENT'
        ? new PreconditionError(`${argv[0]} is not installed (or not on PATH)`)
        : new PreconditionError(`cannot run ${argv[0]}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? constants.signals[signal] ?? 0 : 0));
    });
  });
}

/**
 * The docker CLI's plugin hand-over variables belong to the outer CLI; its socket is an abstract
 * unix socket, which lives in the outer network namespace and means nothing inside the lab.
 */
export function stripPluginEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  for (const k of Object.keys(env)) if (k.startsWith('DOCKER_CLI_PLUGIN_')) delete env[k];
  return env;
}
