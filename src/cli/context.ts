// Per-invocation context: resolved options, the Docker endpoint, output helpers and lazily made adapters.
import { onExec } from '../util/exec';
import { PreconditionError } from '../errors';
import type { DockerGlobals } from './argv';
import { underRoot, type GlobalOptions } from './globals';
import { resolveEndpoint } from './endpoint';
import type { HostAdapters } from '../host/interfaces';
import { type Endpoint } from '../model/endpoint';

export interface Paths {
  stateDir: string;
  stateFile: string;
  lockFile: string;
  journalFile: string;
  sysctlConf: string;
  bootUnitLink: string;
  unitDir: string;
}

export function pathsFor(root: string): Paths {
  const stateDir = underRoot(root, '/var/lib/docker-ipv6');
  return {
    stateDir,
    stateFile: `${stateDir}/state.json`,
    lockFile: `${stateDir}/lock`,
    journalFile: `${stateDir}/journal.json`,
    sysctlConf: underRoot(root, '/etc/sysctl.d/60-docker-ipv6.conf'),
    // `systemctl enable` of the boot unit (RequiredBy=docker.service) makes this link
    bootUnitLink: underRoot(root, '/etc/systemd/system/docker.service.requires/docker-ipv6-boot.service'),
    unitDir: underRoot(root, '/etc/systemd/system'),
  };
}

/** How a command gets its run's context from its parsed commander Command (global options, endpoint). */
export type ContextFactory = (cmd: import('commander').Command) => RunContext;

export class RunContext {
  readonly paths: Paths;
  private cachedEndpoint?: Endpoint;
  private adapters?: HostAdapters;

  constructor(
    readonly globals: GlobalOptions,
    readonly dockerGlobals: DockerGlobals,
    readonly env: NodeJS.ProcessEnv = process.env,
    readonly stdout: NodeJS.WritableStream = process.stdout,
    readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {
    this.paths = pathsFor(globals.root);
    if (globals.verbose) onExec((argv) => this.stderr.write(`+ ${argv.join(' ')}\n`));
  }

  /** The run's host adapters: the real ones on first use, unless a test handed in fakes (withHost). */
  get host(): HostAdapters {
    // required on first use, not at start-up: `--help` and the commands that never touch the host skip loading them
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { realHostAdapters } = require('../host/adapters') as typeof import('../host/adapters');
    this.adapters ??= realHostAdapters({ endpoint: () => this.endpoint(), stateFile: this.paths.stateFile, configFile: this.globals.configFile, root: this.globals.root });
    return this.adapters;
  }

  /** Tests: run the engines against these adapters (strict fakes) instead of the host's. */
  withHost(host: HostAdapters): this {
    this.adapters = host;
    return this;
  }

  endpoint(): Endpoint {
    this.cachedEndpoint ??= resolveEndpoint(this.dockerGlobals, this.env);
    return this.cachedEndpoint;
  }

  /** Commands that change the host must talk to the daemon on this host. */
  requireLocalDaemon(action: string): Endpoint {
    const ep = this.endpoint();
    if (!ep.local) {
      throw new PreconditionError(
        `refusing to ${action}: the Docker endpoint ${ep.host} (from ${ep.source}) is not on this host`,
        'run docker ipv6 on the Docker host itself, or point -H at its local socket',
      );
    }
    return ep;
  }

  requireRoot(action: string): void {
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      throw new PreconditionError(`${action} needs root`, `run it as root: sudo docker ipv6 ...`);
    }
  }

  out(text: string): void { this.stdout.write(text.endsWith('\n') ? text : `${text}\n`); }
  /** Progress and notes for people: stderr, so stdout stays parseable. */
  note(text: string): void { this.stderr.write(text.endsWith('\n') ? text : `${text}\n`); }
  outJson(value: unknown): void { this.stdout.write(`${JSON.stringify(value, null, 2)}\n`); }
}
