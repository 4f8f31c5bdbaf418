// Gathers the texts to lint: named files, YAML/JSON files under directories, and stdin for "-".
import { readdir, readFile, stat } from 'node:fs/promises';
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
const MAX_BYTES = 8 * 1024 * 1024;

async function readText(path: string): Promise<string> {
  try {
    const st = await stat(path);
    if (st.size > MAX_BYTES) throw new UsageError(`${path} is larger than ${MAX_BYTES / 1024 / 1024} MiB; it is not a config file`);
    return await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw unreadable(path, e);
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

export async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
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
