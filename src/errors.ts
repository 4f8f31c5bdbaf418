// Typed errors a person can act on: each kind maps to a documented exit code and carries a hint.
import { terminalText } from './util/terminal';

/** Exit codes (documented in README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  failure: 1, // a check failed (doctor, verify, lint) or an operation was rolled back
  usage: 2, // bad flag or input
  precondition: 3, // not root, no ip6tables, Docker down, remote endpoint for a changing command
  command: 4, // an external command failed
  config: 5, // daemon.json or state unreadable / unparsable
  interrupted: 130,
} as const;

export type ErrorKind = 'usage' | 'precondition' | 'command' | 'config' | 'rolledback';

export class ToolError extends Error {
  readonly kind: ErrorKind;
  readonly hint?: string;
  constructor(kind: ErrorKind, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.hint = hint;
    this.name = 'ToolError';
  }
  get exitCode(): number {
    switch (this.kind) {
      case 'usage': return ExitCode.usage;
      case 'precondition': return ExitCode.precondition;
      case 'command': return ExitCode.command;
      case 'config': return ExitCode.config;
      case 'rolledback': return ExitCode.failure;
    }
  }
}

export class UsageError extends ToolError {
  constructor(message: string, hint?: string) { super('usage', message, hint); this.name = 'UsageError'; }
}
export class PreconditionError extends ToolError {
  constructor(message: string, hint?: string) { super('precondition', message, hint); this.name = 'PreconditionError'; }
}
export class ConfigError extends ToolError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super('config', message, hint, options); this.name = 'ConfigError';
  }
}
export class CommandError extends ToolError {
  readonly argv: readonly string[];
  readonly exitStatus: number | null;
  readonly stderr: string;
  constructor(argv: readonly string[], exitStatus: number | null, stderr: string, meaning?: string, hint?: string) {
    const status = exitStatus === null ? 'was killed or timed out' : `exited ${exitStatus}${meaning ? ` (${meaning})` : ''}`;
    // the first line says what went wrong (a tool's own error), the last ones what it saw last: keep both
    const lines = stderr.trim() ? stderr.trim().split('\n') : [];
    const kept = lines.length > 4 ? [lines[0], '…', ...lines.slice(-3)] : lines;
    const tail = kept.length ? `: ${kept.join(' | ')}` : '';
    super('command', `${argv.join(' ')} ${status}${tail}`, hint);
    this.name = 'CommandError';
    this.argv = argv;
    this.exitStatus = exitStatus;
    this.stderr = stderr;
  }
}
/** An operation failed and its changes were undone; message holds both the cause and the restore. */
export class RolledBackError extends ToolError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super('rolledback', message, hint, options); this.name = 'RolledBackError';
  }
}

export function isToolError(e: unknown): e is ToolError {
  return e instanceof ToolError;
}

/**
 * What a failed command prints (message, hint, a stack with --debug) and its exit code; messages carry names
 * (networks, files, commands' stderr), so their control characters are escaped.
 */
export function renderError(e: unknown, debug: boolean): { text: string; code: number } {
  const r = renderErrorRaw(e, debug);
  return { text: terminalText(r.text), code: r.code };
}

function renderErrorRaw(e: unknown, debug: boolean): { text: string; code: number } {
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
