// Strict fake of the dockerd service: restarts are recorded, and can be told to fail or to hang until aborted.
import type { DockerdService } from '../../src/host/interfaces';
import { validateDaemonConfig, type DockerdValidation } from '../../src/daemon/validate';
import type { DockerdProcess } from '../../src/daemon/keys';
import type { Endpoint } from '../../src/model/endpoint';
import { PreconditionError } from '../../src/errors';

export interface RestartCall { command: string[]; endpoint: Endpoint; networks: number; aborted: boolean }

export class FakeDockerd implements DockerdService {
  readonly restarts: RestartCall[] = [];
  procs: DockerdProcess[] = [{ pid: 4242, argv: ['/usr/bin/dockerd', '-H', 'fd://'] }];
  /** what the next restarts do, one entry each; then 'ok' */
  private script: Array<'ok' | 'fail' | 'hang'> = [];
  /** what dockerd does on start: the fake host reloads daemon.json into the fake Docker API here */
  onRestart?: () => void | Promise<void>;

  constructor(private readonly log: string[] = []) {}

  /** The next `times` restarts fail as a dockerd that does not come back would. */
  failNext(times = 1): this { for (let i = 0; i < times; i++) this.script.push('fail'); return this; }
  /** The next restart waits until its signal aborts (Ctrl-C); without a signal it throws (it would hang for ever). */
  hangNext(): this { this.script.push('hang'); return this; }

  /** false: the daemon does not answer (waitForAnswer times out) */
  answering = true;

  async waitForAnswer(endpoint: Endpoint, deadlineMs: number): Promise<void> {
    if (!Number.isFinite(deadlineMs) || deadlineMs < 0) throw new Error(`fake dockerd: bad deadline ${deadlineMs}`);
    this.log.push(`dockerd wait ${endpoint.host}`);
    if (!this.answering) throw new PreconditionError(`dockerd did not come back within ${Math.round(deadlineMs / 1000)} s: Docker refused the connection (fake)`, 'see its log: journalctl -u docker');
  }

  async restart(command: readonly string[], endpoint: Endpoint, networks: number, _progress?: (s: string) => void, signal?: AbortSignal): Promise<void> {
    if (!command.length) throw new Error('fake dockerd: restart with an empty command');
    if (!endpoint?.local) throw new Error(`fake dockerd: restart for a remote endpoint ${endpoint?.host}`);
    if (!Number.isInteger(networks) || networks < 0) throw new Error(`fake dockerd: bad network count ${networks}`);
    const what = this.script.shift() ?? 'ok';
    const call: RestartCall = { command: [...command], endpoint, networks, aborted: false };
    this.restarts.push(call);
    this.log.push(`dockerd restart${what === 'ok' ? '' : ` (${what})`}`);
    if (what === 'fail') throw new PreconditionError('dockerd did not come back within 60 s: Docker refused the connection (fake)', 'see its log: journalctl -u docker');
    if (what === 'hang') {
      if (!signal) throw new Error('fake dockerd: told to hang, but the caller gave no abort signal: it would hang for ever');
      await new Promise<void>((resolve) => { if (signal.aborted) resolve(); else signal.addEventListener('abort', () => resolve(), { once: true }); });
      call.aborted = true;
      throw new PreconditionError('interrupted while waiting for Docker');
    }
    await this.onRestart?.();
  }

  /** whether the daemon runs in the caller's network namespace (a test of another host sets false) */
  inOurNetns: boolean | undefined = true;
  async sameNetns(endpoint: Endpoint): Promise<boolean | undefined> {
    if (!endpoint?.host) throw new Error('fake dockerd: sameNetns without an endpoint');
    return this.inOurNetns;
  }

  async processes(): Promise<DockerdProcess[]> {
    return structuredClone(this.procs);
  }

  /** the dockerd binary: its --version, and whether it has --validate (with what it says about a text) */
  binary?: { path: string; version: string; validate?: (text: string) => string | undefined };
  readonly validated: string[] = [];

  private checkBinary(path: string): NonNullable<FakeDockerd['binary']> {
    if (!this.binary) throw new Error('fake dockerd: the binary is not modelled in this test (set fake.dockerd.binary)');
    if (path !== this.binary.path) throw new PreconditionError(`cannot read the version of ${path}: ${path} --version exited 127 (fake: not found)`, 'name the dockerd with --dockerd PATH');
    return this.binary;
  }

  async binaryVersion(dockerdPath: string): Promise<string> {
    this.log.push(`dockerd --version`);
    return this.checkBinary(dockerdPath).version;
  }

  /** our rules always; the binary's own --validate when the test gave it one (as 23.0+ has) */
  async validateConfig(dockerdPath: string, text: string, dockerVersion: string): Promise<DockerdValidation> {
    const b = this.checkBinary(dockerdPath);
    this.validated.push(text);
    const findings = validateDaemonConfig(JSON.parse(text || '{}') as Record<string, unknown>, dockerVersion);
    const ours = findings.filter((f) => f.severity === 'error').map((f) => f.message);
    const theirs = b.validate?.(text);
    const messages = [...(theirs ? [theirs] : []), ...ours];
    return { ok: messages.length === 0, by: b.validate ? 'dockerd' : 'tool', message: messages.length ? messages.join('; ') : 'configuration OK', findings };
  }
}
