// The test's temp root: the one place on the real filesystem that the file-like fakes may touch.
//
// Why the file fakes keep their bytes on disk and not in a map: a transaction captures a file before it
// changes (captureFile) and restores it on rollback (the built-in 'file' undo kind) through the real
// filesystem, not through HostAdapters. daemon.json, the sysctl.d file and the state file must therefore
// sit where that capture and restore see them: under a mkdtemp root. Every path outside the root throws,
// so a test cannot reach /etc by mistake.
import { isAbsolute, resolve, sep } from 'node:path';

export class TestRoot {
  constructor(readonly dir: string) {
    if (!isAbsolute(dir) || resolve(dir) === '/') throw new Error(`fake disk: ${dir} cannot be a test root`);
  }
  /** `path` itself, once checked to lie under the root. */
  check(path: string, who: string): string {
    const p = resolve(path);
    if (p !== this.dir && !p.startsWith(`${this.dir}${sep}`)) throw new Error(`${who}: ${path} is outside the test root ${this.dir}`);
    return p;
  }
}
