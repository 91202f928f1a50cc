/**
 * Checksums of pack files remembered by path, size, modification time and inode, so a pack's files are
 * hashed once rather than at every start (~80 ms for the default pack's 21 MB); any change to a file
 * changes one of the three and it is hashed again. Kept as JSON in the user's cache folder (`cacheDir`); a
 * missing, unreadable or unwritable cache only means hashing again.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir } from '../paths.js';

interface Entry {
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
}

export class HashCache {
  private changed = false;

  private constructor(private readonly file: string, private readonly entries: Record<string, Entry>) {}

  static async open(dir: string = cacheDir()): Promise<HashCache> {
    const file = join(dir, 'pack-hashes.json');
    try {
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return new HashCache(file, parsed as Record<string, Entry>);
    } catch {
      // no cache yet, or an unreadable one: start empty
    }
    return new HashCache(file, {});
  }

  /** The remembered checksum of `path` if its size, mtime and inode are unchanged. */
  get(path: string, st: { size: number; mtimeMs: number; ino: number }): string | undefined {
    const e = this.entries[path];
    return e && e.size === st.size && e.mtimeMs === st.mtimeMs && e.ino === st.ino && typeof e.sha256 === 'string' ? e.sha256 : undefined;
  }

  set(path: string, st: { size: number; mtimeMs: number; ino: number }, sha256: string): void {
    this.entries[path] = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 };
    this.changed = true;
  }

  /** Writes the cache (temporary file, then rename) when anything was added; failures are ignored. */
  async save(): Promise<void> {
    if (!this.changed) return;
    try {
      await mkdir(join(this.file, '..'), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(this.entries));
      await rename(tmp, this.file);
      this.changed = false;
    } catch {
      // a read-only home or cache folder: the checksums are computed again next time
    }
  }
}
