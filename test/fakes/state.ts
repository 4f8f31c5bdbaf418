// Strict fake of the state file: a ToolState copied on every read and write so callers cannot share it by
// accident. With a path it lives on disk as the real one does, so a transaction's file undo (which restores
// the state file's bytes) is seen by the next read, as on a host.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StateFile } from '../../src/host/interfaces';
import { renderStateText, type ToolState } from '../../src/model/state';

export class FakeState implements StateFile {
  /** every state written, in order */
  readonly writes: ToolState[] = [];
  private memory: ToolState | undefined;
  constructor(initial: ToolState | undefined = undefined, private readonly log: string[] = [], private readonly path?: string) {
    this.value = initial;
  }
  /** what a read returns now */
  get value(): ToolState | undefined {
    if (!this.path) return this.memory;
    return existsSync(this.path) ? JSON.parse(readFileSync(this.path, 'utf8')) as ToolState : undefined;
  }
  set value(s: ToolState | undefined) {
    if (!this.path) { this.memory = s === undefined ? undefined : structuredClone(s); return; }
    if (s === undefined) rmSync(this.path, { force: true });
    else { mkdirSync(dirname(this.path), { recursive: true }); writeFileSync(this.path, renderStateText(s)); }
  }
  async read(): Promise<ToolState | undefined> {
    const v = this.value;
    return v === undefined ? undefined : structuredClone(v);
  }
  async write(state: ToolState): Promise<void> {
    if (state?.version !== 1) throw new Error(`fake state: refusing a state without version 1: ${JSON.stringify(state)}`);
    const text = JSON.stringify(state);
    this.value = JSON.parse(text);
    this.writes.push(JSON.parse(text));
    this.log.push('state write');
  }
}
