// Per-invocation context: resolved options, the Docker endpoint, output helpers and lazily made adapters.
import { onExec } from '../util/exec';
import { escapeControls, terminalJson, terminalText } from '../util/terminal';
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

/** How the real adapters read the host when it is not simply this machine seen from here (the probe container). */
export interface HostOptions { procRoot?: string; firewallBackend?: 'iptables' | 'nftables' }

/** How a command gets its run's context from its parsed commander Command (global options, endpoint). */
export type ContextFactory = (cmd: import('commander').Command) => RunContext;

export class RunContext {
  readonly paths: Paths;
  /** every --context given after the command (a fleet read-out when more than one) */
  contexts: string[] = [];
  private cachedEndpoint?: Endpoint;
  private adapters?: HostAdapters;
  private here?: Promise<boolean>;
  /** how the real adapters read this host: another /proc (the probe's /host/proc), Docker's backend when told */
  private hostOptions: HostOptions = {};
  private localFirewallClues = false;

  constructor(
    readonly globals: GlobalOptions,
    readonly dockerGlobals: DockerGlobals,
    readonly env: NodeJS.ProcessEnv = process.env,
    readonly stdout: NodeJS.WritableStream = process.stdout,
    readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {
    this.paths = pathsFor(globals.root);
    if (globals.verbose) onExec((argv) => this.stderr.write(`+ ${argv.map(escapeControls).join(' ')}\n`));
  }

  /** The run's host adapters: the real ones on first use, unless a test handed in fakes (withHost). */
  get host(): HostAdapters {
    // required on first use, not at start-up: `--help` and the commands that never touch the host skip loading them
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { realHostAdapters } = require('../host/adapters') as typeof import('../host/adapters');
    this.adapters ??= realHostAdapters({
      endpoint: () => this.endpoint(), stateFile: this.paths.stateFile, configFile: this.globals.configFile, root: this.globals.root,
      procSys: this.env.DOCKER_IPV6_PROC_SYS || undefined, askDockerForFirewall: () => !this.localFirewallClues, ...this.hostOptions,
    });
    return this.adapters;
  }

  /** Before the first use of `host`: read processes from another /proc, take Docker's firewall backend as given. */
  withHostOptions(o: HostOptions): this {
    this.hostOptions = { ...o };
    return this;
  }

  /**
   * From now on (up to the firewall's first use) Docker's firewall backend comes from dockerd's flag and daemon.json,
   * not `docker info`: for a command that asks Docker nothing else (renumber), the one request would load the client.
   */
  firewallFromLocalClues(): this {
    this.localFirewallClues = true;
    return this;
  }

  /** Tests: run the engines against these adapters (strict fakes) instead of the host's. */
  withHost(host: HostAdapters): this {
    this.adapters = host;
    return this;
  }

  /** The same run's options for another Docker endpoint (one host of a fleet read-out): its own adapters and facts. */
  forEndpoint(ep: Endpoint): RunContext {
    const c = new RunContext(this.globals, this.dockerGlobals, this.env, this.stdout, this.stderr);
    c.cachedEndpoint = ep;
    return c;
  }

  endpoint(): Endpoint {
    this.cachedEndpoint ??= resolveEndpoint(this.dockerGlobals, this.env);
    return this.cachedEndpoint;
  }

  /**
   * Whether the daemon runs in this network namespace, so this machine's kernel, firewall and files are its host's:
   * a unix socket or loopback whose dockerd (when /proc tells) is in our namespace. A lab's socket read from outside
   * the lab, or any remote endpoint, is another host: its facts come from the probe container, never from here.
   */
  daemonIsHere(): Promise<boolean> {
    this.here ??= (async () => {
      const ep = this.endpoint();
      if (!ep.local) return false;
      return (await this.host.dockerd.sameNetns(ep).catch(() => undefined)) !== false;
    })();
    return this.here;
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

  // Every text for people goes out through out() or note(): control characters in the names it carries are
  // escaped here, once for every command (the newlines are the layout's); JSON keeps its exact values.
  out(text: string): void { this.stdout.write(terminalText(text.endsWith('\n') ? text : `${text}\n`)); }
  /** Progress and notes for people: stderr, so stdout stays parseable. */
  note(text: string): void { this.stderr.write(terminalText(text.endsWith('\n') ? text : `${text}\n`)); }
  outJson(value: unknown): void { this.stdout.write(`${terminalJson(value, 2)}\n`); }
}
