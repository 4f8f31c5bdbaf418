// Strict fake of the daemon.json adapter: reads with an identity, and a write or remove refuses (as
// src/host/daemon-json.ts does) when the bytes now there are not the ones the identity names. The bytes
// live on disk under the test root (see disk.ts for why); someone else's edit is `editBehindOurBack`.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DaemonConfigFile } from '../../src/host/interfaces';
import type { DaemonConfigRead, FileIdentity } from '../../src/host/daemon-json';
import { parseDaemonJson } from '../../src/daemon/parse';
import { ConfigError } from '../../src/errors';
import type { TestRoot } from './disk';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export class FakeDaemonConfig implements DaemonConfigFile {
  /** texts written through the adapter, in order ('' for a remove) */
  readonly writes: string[] = [];
  /** identities handed out by read/readRaw: a write with any other one is a caller bug */
  private readonly issued = new Set<string>();
  private failNext?: Error;
  /** runs inside the next write, after its check and before the bytes land (a race with another editor) */
  beforeCommit?: () => void;

  constructor(readonly path: string, root: TestRoot, initial: string | undefined, private readonly log: string[] = []) {
    root.check(path, 'fake daemon.json');
    if (initial !== undefined) this.put(initial);
  }

  private bytes(): Buffer | null {
    try { return readFileSync(this.path); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  private identity(): FileIdentity {
    const b = this.bytes();
    return b ? { exists: true, size: b.length, sha256: sha256(b) } : { exists: false, sha256: '' };
  }

  private put(text: string): void {
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(this.path, text);
  }

  /** The file's text now, or undefined when it does not exist. */
  get text(): string | undefined {
    return this.bytes()?.toString('utf8');
  }

  /** Someone else (an editor, config management) changes the file; undefined deletes it. */
  editBehindOurBack(text: string | undefined): void {
    if (text === undefined) unlinkSync(this.path);
    else this.put(text);
  }

  /** The next write or remove fails with `e` and leaves the file as it was (ENOSPC, EROFS). */
  failNextWrite(e: Error): void {
    this.failNext = e;
  }

  async readRaw(): Promise<{ text: string; identity: FileIdentity; target: string; missing: boolean }> {
    const identity = this.identity();
    this.issued.add(JSON.stringify(identity));
    return { text: this.text ?? '', identity, target: this.path, missing: !identity.exists };
  }

  async read(): Promise<DaemonConfigRead> {
    const raw = await this.readRaw();
    const parsed = parseDaemonJson(raw.text, this.path);
    return { ...parsed, ...(raw.missing ? { warnings: [] } : {}), target: this.path, identity: raw.identity, missing: raw.missing };
  }

  private assertUnchanged(expected: FileIdentity): void {
    if (!this.issued.has(JSON.stringify(expected))) throw new Error('fake daemon.json: write with an identity this store never handed out (read the file first)');
    const now = this.identity();
    if (now.exists !== expected.exists || now.sha256 !== expected.sha256) {
      const how = !now.exists ? 'was deleted' : !expected.exists ? 'was created' : 'was changed';
      throw new ConfigError(`${this.path} ${how} by someone else since it was read; nothing was written`, 'look at the file, then run the command again');
    }
  }

  async write(text: string, expected: FileIdentity): Promise<FileIdentity> {
    this.assertUnchanged(expected);
    if (this.failNext) { const e = this.failNext; this.failNext = undefined; throw e; }
    this.beforeCommit?.();
    this.beforeCommit = undefined;
    this.assertUnchanged(expected);
    this.put(text);
    this.writes.push(text);
    this.log.push(`daemon.json write`);
    const id = this.identity();
    this.issued.add(JSON.stringify(id));
    return id;
  }

  async remove(expected: FileIdentity): Promise<void> {
    this.assertUnchanged(expected);
    if (!expected.exists) return;
    if (this.failNext) { const e = this.failNext; this.failNext = undefined; throw e; }
    unlinkSync(this.path);
    this.writes.push('');
    this.log.push('daemon.json remove');
  }
}
