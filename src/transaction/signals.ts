// Ctrl-C and SIGTERM during a transaction: finish the current step, roll back, exit 130; never cut a rollback short.
//
// runTransaction installs an InterruptGuard for its duration (or uses the one passed in). The
// first SIGINT/SIGTERM (or guard.abort()) sets `interrupted`, fires `abortSignal` (a long step,
// such as waiting for dockerd's /_ping, may watch it and give up early) and the transaction stops
// after the current step and rolls back. Signals that arrive during the rollback are ignored with
// a note: a half-done rollback is worse than a slow one. While the handlers are installed Node's
// default "exit on SIGINT" is off; dispose() puts it back.
//
// The CLI learns about it two ways: the error thrown is an InterruptedError (a RolledBackError
// whose exitCode is 130), and lastInterrupt() returns the signal of the most recent interrupt.
import { ExitCode, RolledBackError } from '../errors';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
let last: NodeJS.Signals | undefined;

/** The signal that interrupted the most recent transaction in this process, if any. */
export function lastInterrupt(): NodeJS.Signals | undefined {
  return last;
}

/** Rolled back because the user interrupted: exit code 130. */
export class InterruptedError extends RolledBackError {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals, message: string, hint?: string) {
    super(message, hint);
    this.name = 'InterruptedError';
    this.signal = signal;
  }
  override get exitCode(): number {
    return ExitCode.interrupted;
  }
}

export class InterruptGuard {
  interrupted = false;
  signal?: NodeJS.Signals;
  private readonly controller = new AbortController();
  private rollingBack = false;
  private installed = false;
  private readonly handler = (sig: NodeJS.Signals): void => this.abort(sig);

  constructor(private readonly log: (line: string) => void = () => {}) {}

  /** Fires on the first interrupt; steps may pass it to waits and timers. */
  get abortSignal(): AbortSignal {
    return this.controller.signal;
  }

  install(): this {
    if (!this.installed) {
      for (const s of SIGNALS) process.on(s, this.handler);
      this.installed = true;
    }
    return this;
  }

  dispose(): void {
    if (!this.installed) return;
    for (const s of SIGNALS) process.off(s, this.handler);
    this.installed = false;
  }

  /** What a signal does; tests and the agent's own shutdown call it directly. */
  abort(sig: NodeJS.Signals = 'SIGINT'): void {
    if (this.rollingBack) {
      this.log(`${sig} ignored: the rollback is running and must finish (it restores what was changed)`);
      return;
    }
    if (this.interrupted) {
      this.log(`${sig} again: already stopping; the current step finishes, then everything is rolled back`);
      return;
    }
    this.interrupted = true;
    this.signal = sig;
    last = sig;
    this.log(`${sig}: stopping after the current step, then rolling back`);
    this.controller.abort(new Error(`interrupted by ${sig}`));
  }

  /** From here on signals are only noted. */
  enterRollback(): void {
    this.rollingBack = true;
  }
}
