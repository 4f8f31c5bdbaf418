// The shared libraries an ELF64 (x86-64) file needs, read from its own headers: its interpreter and DT_NEEDED
// entries, followed through the libraries they name. `ldd` runs the loader once per file (~13 s for the 130 xtables
// extensions on a busy machine); reading the headers takes milliseconds.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { PreconditionError } from '../errors';

const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

function read(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  const n = readSync(fd, b, 0, len, pos);
  return b.subarray(0, n);
}

/** The interpreter and the DT_NEEDED names of one ELF64 little-endian file; undefined when it is not one. */
export function elfNeeds(path: string): { interp?: string; needed: string[] } | undefined {
  const fd = openSync(path, 'r');
  try {
    const h = read(fd, 0, 64);
    if (h.length < 64 || h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return undefined;
    const phoff = Number(h.readBigUInt64LE(0x20));
    const phentsize = h.readUInt16LE(0x36);
    const phnum = h.readUInt16LE(0x38);
    const ph = read(fd, phoff, phentsize * phnum);
    const loads: Array<{ vaddr: number; off: number; size: number }> = [];
    let dyn: { off: number; size: number } | undefined;
    let interp: string | undefined;
    for (let i = 0; i < phnum; i++) {
      const p = ph.subarray(i * phentsize, (i + 1) * phentsize);
      const type = p.readUInt32LE(0);
      const off = Number(p.readBigUInt64LE(8));
      const vaddr = Number(p.readBigUInt64LE(16));
      const filesz = Number(p.readBigUInt64LE(32));
      if (type === 1) loads.push({ vaddr, off, size: filesz });
      else if (type === 2) dyn = { off, size: filesz };
      else if (type === 3) interp = read(fd, off, filesz).toString('utf8').replace(/\0.*$/s, '');
    }
    if (!dyn) return { interp, needed: [] };
    const d = read(fd, dyn.off, dyn.size);
    const needOffs: number[] = [];
    let strtab = 0;
    for (let i = 0; i + 16 <= d.length; i += 16) {
      const tag = Number(d.readBigInt64LE(i));
      const val = Number(d.readBigUInt64LE(i + 8));
      if (tag === 0) break;
      if (tag === 1) needOffs.push(val);
      else if (tag === 5) strtab = val;
    }
    const seg = loads.find((l) => strtab >= l.vaddr && strtab < l.vaddr + l.size);
    if (!seg) return { interp, needed: [] };
    const base = strtab - seg.vaddr + seg.off;
    const needed = needOffs.map((o) => read(fd, base + o, 256).toString('utf8').replace(/\0.*$/s, ''));
    return { interp, needed };
  } finally {
    closeSync(fd);
  }
}

/** Every library (and the loader) the files need, transitively, as paths on this machine. */
export function librariesOf(files: readonly string[]): string[] {
  const out = new Set<string>();
  const todo = [...files];
  const seen = new Set<string>();
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const e = elfNeeds(f);
    if (!e) continue;
    if (e.interp && !out.has(e.interp)) { out.add(e.interp); }
    for (const name of e.needed) {
      const dir = LIB_DIRS.find((dd) => existsSync(join(dd, name)));
      if (!dir) throw new PreconditionError(`${f} needs ${name}, which is in none of ${LIB_DIRS.join(', ')}`, 'install the package that provides it, or report this with the output of: ldd ' + f);
      const p = join(dir, name);
      if (!out.has(p)) { out.add(p); todo.push(p); }
    }
  }
  return [...out].sort();
}
