// A tar (ustar) stream written as it is read: folders, symlinks and files (from a path, or bytes), owned by root. The
// image is ~130 MB, mostly one executable: streaming it into `docker import` spares two copies on disk.
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';

export type TarEntry =
  | { name: string; type: 'dir'; mode: number }
  | { name: string; type: 'symlink'; target: string }
  | { name: string; type: 'file'; mode: number; from: string }
  | { name: string; type: 'file'; mode: number; bytes: Buffer };

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** One 512-byte ustar header; names longer than 100 bytes go into the prefix field (split at a slash). */
export function tarHeader(name: string, type: '0' | '2' | '5', mode: number, size: number, linkname = '', mtime = 0): Buffer {
  const h = Buffer.alloc(512);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
    if (Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`tar: name too long: ${name}`);
  }
  h.write(base, 0, 100, 'utf8');
  h.write(octal(mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

const pad = (size: number) => Buffer.alloc((512 - (size % 512)) % 512);

async function* chunks(entries: readonly TarEntry[], mtime: number): AsyncGenerator<Buffer> {
  for (const e of entries) {
    const name = e.name.replace(/^\/+/, '');
    if (e.type === 'dir') { yield tarHeader(`${name.replace(/\/$/, '')}/`, '5', e.mode, 0, '', mtime); continue; }
    if (e.type === 'symlink') { yield tarHeader(name, '2', 0o777, 0, e.target, mtime); continue; }
    if ('bytes' in e) {
      yield tarHeader(name, '0', e.mode, e.bytes.length, '', mtime);
      yield e.bytes;
      yield pad(e.bytes.length);
      continue;
    }
    const size = statSync(e.from).size;
    yield tarHeader(name, '0', e.mode, size, '', mtime);
    let seen = 0;
    for await (const c of createReadStream(e.from)) { seen += (c as Buffer).length; yield c as Buffer; }
    if (seen !== size) throw new Error(`tar: ${e.from} changed while it was read (${size} bytes, then ${seen})`);
    yield pad(size);
  }
  yield Buffer.alloc(1024);
}

/** The entries as one tar stream. */
export function tarStream(entries: readonly TarEntry[], mtime = Math.floor(Date.now() / 1000)): Readable {
  return Readable.from(chunks(entries, mtime), { objectMode: false });
}
