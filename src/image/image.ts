// `docker ipv6 image`: this build's image (the probe container's and the Swarm agent's), made from the installed
// executable and imported into each Docker host named (no registry), or written to a file for `docker import`.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { RunContext } from '../cli/context';
import { BUILD, thisImage, VERSION } from '../cli/build';
import { CommandError } from '../errors';
import { renderTable } from '../util/table';
import { inWindow } from '../util/window';
import { tarStream, type TarEntry } from '../util/tar';
import { imageChanges, imageEntries, runningExecutable } from './rootfs';

export interface ImageOptions { output?: string; targets?: Array<{ name: string; run: RunContext | undefined; error?: string }> }

/** The import's progress stream (JSON lines): its end, or the error Docker put in it. */
async function drain(stream: NodeJS.ReadableStream): Promise<void> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  const err = /"error(?:Detail)?"\s*:\s*(?:\{"message":)?"([^"]*)"/.exec(text)?.[1];
  if (err) throw new CommandError(['docker', 'import'], 1, err);
}

async function importInto(ctx: RunContext, entries: readonly TarEntry[], ref: string): Promise<void> {
  const client = await ctx.host.docker.connect({ timeoutMs: 300_000 });
  const [repo, tag] = ref.split(':');
  const stream = await client.importImage(tarStream(entries) as never, { repo, tag, changes: imageChanges(VERSION, BUILD) } as never);
  await drain(stream as unknown as NodeJS.ReadableStream);
}

export async function runImage(ctx: RunContext, o: ImageOptions): Promise<number> {
  const ref = thisImage();
  const exe = runningExecutable();
  if (!ctx.globals.json) ctx.note(`making ${ref} from ${exe}`);
  const built = imageEntries(exe);
  if (o.output) {
    await pipeline(tarStream(built.entries), createWriteStream(o.output, { mode: 0o644 }));
    const changes = imageChanges(VERSION, BUILD).map((c) => `-c '${c}'`).join(' ');
    if (ctx.globals.json) ctx.outJson({ image: ref, output: o.output, tools: built.tools });
    else ctx.out(`wrote ${o.output}; on each Docker host: docker import ${changes} ${o.output} ${ref}`);
    return 0;
  }
  if (!o.targets) {
    await importInto(ctx, built.entries, ref);
    if (ctx.globals.json) ctx.outJson({ image: ref, tools: built.tools, hosts: [{ name: ctx.endpoint().host, loaded: true, error: null }] });
    else ctx.out(ref);
    return 0;
  }
  const targets = o.targets;
  const rows: Array<{ name: string; ok: boolean; error?: string }> = targets.map((t) => ({ name: t.name, ok: false, error: t.error }));
  // uploads of ~125 MB each: two at a time
  await inWindow(targets.map((t, i) => ({ t, i })).filter((x) => x.t.run), 2, async ({ t, i }) => {
    try {
      await importInto(t.run!, built.entries, ref);
      rows[i].ok = true;
    } catch (e) {
      rows[i].error = (e as Error).message;
    }
  });
  const failed = rows.filter((r) => !r.ok);
  if (ctx.globals.json) ctx.outJson({ image: ref, tools: built.tools, hosts: rows.map((r) => ({ name: r.name, loaded: r.ok, error: r.error ?? null })) });
  else ctx.out(renderTable(['HOST', 'IMAGE', 'RESULT'], rows.map((r) => [r.name, ref, r.ok ? 'loaded' : `error: ${r.error}`])));
  return failed.length ? 1 : 0;
}
