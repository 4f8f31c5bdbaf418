// Strict fake of the files adapter (the sysctl.d file): paths only under the test root, every change
// recorded. The bytes live on disk there because the transaction's file capture and undo read them (disk.ts).
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FilesAdapter } from '../../src/host/interfaces';
import type { TestRoot } from './disk';

export class FakeFiles implements FilesAdapter {
  /** changes in order: "write PATH" / "remove PATH" */
  readonly ops: string[] = [];
  private readonly failing = new Set<string>();
  constructor(private readonly root: TestRoot, private readonly log: string[] = []) {}

  async readText(path: string): Promise<string | undefined> {
    const p = this.root.check(path, 'fake files');
    if (!existsSync(p)) return undefined;
    if (statSync(p).isDirectory()) throw new Error(`fake files: ${path} is a directory (EISDIR)`);
    return readFileSync(p, 'utf8');
  }

  async writeAtomic(path: string, text: string, mode: number): Promise<void> {
    const p = this.root.check(path, 'fake files');
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new Error(`fake files: bad mode ${mode} for ${path}`);
    if (this.failing.has(p)) throw Object.assign(new Error(`fake files: ${path}: no space left on device`), { code: 'ENOSPC' });
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    chmodSync(p, mode);
    this.ops.push(`write ${path}`);
    this.log.push(`file write ${path}`);
  }

  /** rm -f, as the real adapter: a missing file is fine */
  async remove(path: string): Promise<void> {
    const p = this.root.check(path, 'fake files');
    if (existsSync(p) && statSync(p).isDirectory()) throw new Error(`fake files: remove of a directory ${path}`);
    rmSync(p, { force: true });
    this.ops.push(`remove ${path}`);
    this.log.push(`file remove ${path}`);
  }

  async exists(path: string): Promise<boolean> {
    return existsSync(this.root.check(path, 'fake files'));
  }

  /** Later writes of `path` fail with ENOSPC. */
  failWrites(path: string): void {
    this.failing.add(this.root.check(path, 'fake files'));
  }
}
