// Strict fake of the probe container: what it ran is recorded; what it answers is the test's (unset: it throws).
import type { HostProbe } from '../../src/host/interfaces';
import type { ProbeRun } from '../../src/host/probe-container';

export class FakeProbe implements HostProbe {
  readonly runs: Array<{ image: string; args: string[] }> = [];
  /** the next answers, one per run; a function gets the args */
  answer?: ProbeRun | ((args: string[]) => ProbeRun | Promise<ProbeRun>);
  async run(o: { image: string; args: string[]; timeoutMs: number }): Promise<ProbeRun> {
    if (!o.image || !Array.isArray(o.args) || !(o.timeoutMs > 0)) throw new Error('fake probe: bad run request');
    this.runs.push({ image: o.image, args: [...o.args] });
    if (!this.answer) throw new Error('fake probe: no probe container is modelled in this test (set fake.probe.answer)');
    return typeof this.answer === 'function' ? this.answer(o.args) : this.answer;
  }
}
