// File helpers shared by the state file, the journal and the file undo: read-if-present and atomic replace.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/** The file's text, or undefined when it does not exist (other errors are thrown). */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Temp file in the same folder, mode and owner set, fsync, rename: the file is old or new, never torn. */
export async function writeFileAtomic(path: string, text: string, mode: number, owner?: { uid: number; gid: number }): Promise<void> {
  const tmp = `${dirname(path)}/.${basename(path)}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(text);
    await fh.chmod(mode);
    if (owner) await fh.chown(owner.uid, owner.gid).catch(() => {}); // not root: keep our own
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}
