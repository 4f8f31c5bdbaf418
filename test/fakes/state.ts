// Strict fake of the state file: an in-memory ToolState, copied on every read and write so callers cannot share it by accident.
import type { StateFile } from '../../src/host/interfaces';
import type { ToolState } from '../../src/model/state';

export class FakeState implements StateFile {
  /** every state written, in order */
  readonly writes: ToolState[] = [];
  constructor(public value: ToolState | undefined = undefined, private readonly log: string[] = []) {}
  async read(): Promise<ToolState | undefined> {
    return this.value === undefined ? undefined : structuredClone(this.value);
  }
  async write(state: ToolState): Promise<void> {
    if (state?.version !== 1) throw new Error(`fake state: refusing a state without version 1: ${JSON.stringify(state)}`);
    const text = JSON.stringify(state);
    this.value = JSON.parse(text);
    this.writes.push(JSON.parse(text));
    this.log.push('state write');
  }
}
