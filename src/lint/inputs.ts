// Gathers the texts to lint: named files, YAML/JSON files under directories, and stdin for "-".
import { constants, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors';
import type { Source } from './types';
import { parseEnvFile } from './interpolate';

/** Compose variables from --env-file files, later files winning; an unreadable one is a usage error. */
export async function readEnvFiles(paths: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of paths) Object.assign(out, parseEnvFile(await readText(p)));
  return out;
}

const LINTABLE = /\.(ya?ml|json)$/i;
const SKIP_DIRS = new Set(['node_modules', '.git', 'vendor']);
/** The most lint reads from any one source; it reads at most one byte more, to tell that a source is larger. */
export const MAX_BYTES = 8 * 1024 * 1024;
const CHUNK = 64 * 1024;

const tooLarge = (what: string) => new UsageError(`${what} is larger than ${MAX_BYTES / 1024 / 1024} MiB; it is not a config file`, 'lint the Compose files, manifests and CNI configs themselves');

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return st.isDirectory() ? 'a directory' : 'not a regular file';
}

/**
 * Reads chunks until the source ends, failing as soon as more than MAX_BYTES came: nothing past MAX_BYTES + 1 is
 * kept. A file is asked for no more than that (`next` gets the room left); a stream (stdin) hands over what it
 * already read, at most one 64 KiB chunk more, and is let go at once.
 */
async function capped(chunks: AsyncIterable<Buffer> | ((room: number) => Promise<Buffer>), what: string): Promise<string> {
  const parts: Buffer[] = [];
  let total = 0;
  const take = (b: Buffer) => { total += b.length; if (total > MAX_BYTES) throw tooLarge(what); parts.push(b); };
  if (typeof chunks === 'function') for (let b = await chunks(MAX_BYTES + 1); b.length; b = await chunks(MAX_BYTES + 1 - total)) take(b);
  else for await (const b of chunks) take(typeof b === 'string' ? Buffer.from(b) : b);
  return Buffer.concat(parts, total).toString('utf8');
}

/**
 * A named file's text: opened without blocking (a FIFO with no writer must not hang the run), refused unless it
 * is a regular file (/dev/zero, a FIFO, a socket), read to at most MAX_BYTES + 1 bytes whatever its size claims.
 */
async function readText(path: string): Promise<string> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw unreadable(path, e);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new UsageError(`cannot read ${path}: it is ${kindOf(st)}, and lint reads only regular files`, 'to lint a stream, pipe it to stdin: ... | docker ipv6 lint -');
    }
    if (st.size > MAX_BYTES) throw tooLarge(path);
    return await capped(async (room) => {
      const want = Math.min(CHUNK, room);
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(want), 0, want, null);
      return buffer.subarray(0, bytesRead);
    }, path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw unreadable(path, e);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function unreadable(path: string, e: unknown): UsageError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error)?.message ?? String(e);
  return new UsageError(`cannot read ${path}: ${why}`, 'pass Compose files, Kubernetes manifests, directories holding them, or - for stdin');
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw unreadable(dir, e);
  }
  // code-unit order, never the locale's: the same tree is read in the same order on every machine
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) await walk(p, out);
    } else if (e.isFile() && LINTABLE.test(e.name) && e.name !== 'package-lock.json') {
      out.push(p);
    }
  }
}

/** stdin, capped like a file: reading stops (and the stream is let go) once more than MAX_BYTES came. */
export async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  return capped(stream as AsyncIterable<Buffer>, 'stdin');
}

/** Resolve the command's arguments to sources, in order; a missing or unreadable path is a usage error. */
export async function collectSources(args: string[], stdin: NodeJS.ReadableStream): Promise<Source[]> {
  if (args.length === 0) throw new UsageError('nothing to lint', 'name files or directories, or - to read stdin: docker ipv6 lint compose.yaml k8s/');
  const out: Source[] = [];
  let stdinUsed = false;
  for (const arg of args) {
    if (arg === '-') {
      if (stdinUsed) throw new UsageError('"-" (stdin) given twice');
      stdinUsed = true;
      out.push({ file: '-', text: await readStream(stdin) });
      continue;
    }
    let st;
    try { st = await stat(arg); } catch (e) { throw unreadable(arg, e); }
    if (st.isDirectory()) {
      const files: string[] = [];
      await walk(arg, files);
      for (const f of files) out.push({ file: f, text: await readText(f) });
    } else {
      out.push({ file: arg, text: await readText(arg) });
    }
  }
  return out;
}
