// Strict fakes for apply-engine tests: they throw when used wrongly (unknown key, double add, delete of a missing route).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { appendFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { SysctlStore } from '../../../src/host/interfaces';
import { UndoRegistry, type FileUndo, type UndoRecord } from '../../../src/transaction/registry';
import { captureFile, fileUndo, sysctlUndo, writeFileAtomic } from '../../../src/transaction/undo-kinds';
import type { Step } from '../../../src/transaction/transaction';

/** Sysctls of a pretend namespace: only keys that exist can be written, values are single tokens. */
export class FakeSysctl implements SysctlStore {
  readonly values: Map<string, string>;
  readonly writes: Array<[string, string]> = [];
  private readonly failing = new Set<string>();
  constructor(initial: Record<string, string>) {
    this.values = new Map(Object.entries(initial));
  }
  async read(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async write(key: string, value: string): Promise<void> {
    if (!this.values.has(key)) throw new Error(`fake sysctl: no such key ${key}`);
    if (!/^\S+$/.test(value)) throw new Error(`fake sysctl: bad value ${JSON.stringify(value)} for ${key}`);
    if (this.failing.has(key)) throw new Error(`fake sysctl: write to ${key} refused (EACCES)`);
    this.writes.push([key, value]);
    this.values.set(key, value);
  }
  failWrites(key: string): void {
    this.failing.add(key);
  }
}

/** A route table: adding a present route or deleting a missing one is a bug the fake reports. */
export class FakeRoutes {
  readonly routes = new Set<string>();
  add(route: string): void {
    if (this.routes.has(route)) throw new Error(`fake routes: ${route} already present`);
    this.routes.add(route);
  }
  del(route: string): void {
    if (!this.routes.delete(route)) throw new Error(`fake routes: ${route} not present`);
  }
}

export interface RouteUndo extends UndoRecord {
  kind: 'route';
  route: string;
}

/** A registry with 'sysctl' and 'route' kinds, logging every undo in order. */
export function testRegistry(sysctl: FakeSysctl, routes: FakeRoutes, undoLog: string[]): UndoRegistry {
  const s = sysctlUndo(sysctl);
  return new UndoRegistry()
    .registerUndo<UndoRecord & { kind: 'sysctl'; key: string; previous: string | null }>('sysctl', {
      ...s,
      undo: async (r) => { undoLog.push(`sysctl ${r.key}`); await s.undo(r); },
    })
    .registerUndo<RouteUndo>('route', {
      undo: async (r) => { undoLog.push(`route ${r.route}`); routes.del(r.route); },
      describe: (r) => `removed route ${r.route}`,
      manualFix: (r) => [`ip -6 route del ${r.route}`],
    });
}

export function setSysctlStep(sysctl: FakeSysctl, key: string, value: string): Step {
  return {
    id: `sysctl-${key}`,
    describe: `set ${key}=${value}`,
    async apply() {
      const previous = (await sysctl.read(key)) ?? null;
      await sysctl.write(key, value);
      return { kind: 'sysctl', key, previous };
    },
  };
}

export function addRouteStep(routes: FakeRoutes, route: string): Step {
  return {
    id: `route-${route}`,
    describe: `add route ${route}`,
    async apply() {
      routes.add(route);
      return { kind: 'route', route };
    },
  };
}

export function failingStep(id: string, message: string): Step {
  return { id, describe: `step ${id}`, async apply() { throw new Error(message); } };
}

export async function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'dipv6-apply-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The registry used across processes in the journal tests: the built-in 'file' kind, appending
 * "undo <basename>" to `undoLogPath` before each undo (so counts survive a killed process), and
 * optionally hanging forever (after writing `<dir>/undo-hanging`) when undoing `hangOn`.
 */
export function fileLogRegistry(dir: string, hangOn?: string): UndoRegistry {
  return new UndoRegistry().registerUndo<FileUndo>('file', {
    ...fileUndo,
    undo: async (r) => {
      appendFileSync(join(dir, 'undo.log'), `undo ${basename(r.path)}\n`);
      if (hangOn && basename(r.path) === hangOn) {
        writeFileSync(join(dir, 'undo-hanging'), '');
        await new Promise(() => setInterval(() => {}, 1000));
      }
      await fileUndo.undo(r);
    },
  });
}

export function writeFileStep(path: string, text: string): Step {
  return {
    id: `write-${basename(path)}`,
    describe: `write ${path}`,
    prepare: () => captureFile(path),
    apply: async () => { await writeFileAtomic(path, text, 0o644); },
  };
}
