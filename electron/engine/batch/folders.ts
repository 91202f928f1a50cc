/**
 * Which folders and files the app's batch may use, and the folder listing of the page's picker. In serve
 * mode the page is a browser tab and the folders are the serving machine's: every path must lie inside
 * the home folder of the user running the server (`root`), checked on the real path (a symbolic link or
 * `..` leading out is refused), and refusals say so in a sentence. On the desktop (`root` null) the
 * folders come from main's dialog and any folder may be used.
 */
import { mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, resolve, sep } from 'node:path';
import sharp from 'sharp';
import { ApiError } from '../../shared/contract.js';
import type { FolderListing, Thumbnail } from '../../shared/batch.js';
import { IMAGE_EXTENSIONS } from '../../cli/batch/pairing.js';

const MAX_ENTRIES = 2000;

const inside = (path: string, root: string) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

const errno = (err: unknown) => (err as NodeJS.ErrnoException)?.code ?? (err as Error)?.message ?? String(err);

export class FolderScope {
  private constructor(
    /** The real path of the folder everything must lie in; null: anywhere. */
    readonly root: string | null,
    /** Where relative paths and `~` start, and the picker opens. */
    private readonly home: string,
  ) {}

  /** `root`: the folder to stay in (its real path is taken), or null for none. */
  static async create(root: string | null, home: string): Promise<FolderScope> {
    const real = root === null ? null : await realpath(root).catch(() => resolve(root));
    return new FolderScope(real, real ?? home);
  }

  private outside(path: string, what: string, link = false): ApiError {
    const where = link ? `leads outside your home folder ${this.root} through a symbolic link` : `is outside your home folder ${this.root}`;
    return new ApiError('BAD_REQUEST', `${what} ${path} ${where}: in the browser, the batch may use only folders inside it (start the app itself to use others)`);
  }

  /** An absolute path: `~/x` and relative paths start at the home folder. */
  absolute(path: string): string {
    const p = path.trim();
    if (p === '~') return this.home;
    if (p.startsWith('~/') || p.startsWith(`~${sep}`)) return join(this.home, p.slice(2));
    return isAbsolute(p) ? resolve(p) : resolve(this.home, p);
  }

  /** The real path of an existing folder or file inside the scope, or an ApiError naming `what`. */
  async existing(path: string, what: string, kind: 'folder' | 'file'): Promise<string> {
    const abs = this.absolute(path);
    if (this.root && !inside(abs, this.root)) throw this.outside(abs, what);
    let real: string;
    try {
      real = await realpath(abs);
    } catch (err) {
      throw new ApiError('BAD_REQUEST', errno(err) === 'ENOENT' ? `${what} ${abs} does not exist` : `${what} ${abs} cannot be read (${errno(err)})`);
    }
    if (this.root && !inside(real, this.root)) throw this.outside(abs, what, true);
    const st = await stat(real);
    if (kind === 'folder' && !st.isDirectory()) throw new ApiError('BAD_REQUEST', `${what} ${abs} is not a folder`);
    if (kind === 'file' && !st.isFile()) throw new ApiError('BAD_REQUEST', `${what} ${abs} is not a file`);
    return real;
  }

  /**
   * A folder to write in, which may not exist yet: the real path of its nearest existing ancestor (inside
   * the scope) with the rest appended; made (with its parents) when `make`.
   */
  async writable(path: string, what: string, make: boolean): Promise<string> {
    const abs = this.absolute(path);
    if (this.root && !inside(abs, this.root)) throw this.outside(abs, what);
    let existing = abs;
    const rest: string[] = [];
    for (;;) {
      const real = await realpath(existing).catch(() => null);
      if (real !== null) {
        existing = real;
        break;
      }
      const up = dirname(existing);
      if (up === existing) throw new ApiError('BAD_REQUEST', `${what} ${abs}: no part of it exists`);
      rest.unshift(basename(existing));
      existing = up;
    }
    if (this.root && !inside(existing, this.root)) throw this.outside(abs, what, true);
    if (!(await stat(existing)).isDirectory()) throw new ApiError('BAD_REQUEST', `${what} ${abs}: ${existing} is a file, not a folder`);
    const target = join(existing, ...rest);
    if (make && rest.length) {
      try {
        await mkdir(target, { recursive: true });
      } catch (err) {
        throw new ApiError('IO_ERROR', `${what} ${abs} cannot be made (${errno(err)})`);
      }
    }
    return target;
  }

  /** A folder's sub-folders and images, for the picker; null: the home folder. */
  async list(path: string | null): Promise<FolderListing> {
    const dir = await this.existing(path ?? this.home, 'The folder', 'folder');
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new ApiError('IO_ERROR', `The folder ${dir} cannot be listed (${errno(err)})`);
    }
    const folders: string[] = [];
    const images: string[] = [];
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) isDir = (await stat(join(dir, e.name)).catch(() => null))?.isDirectory() ?? false;
      if (isDir) folders.push(e.name);
      else if (IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) images.push(e.name);
    }
    const byName = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
    folders.sort(byName);
    images.sort(byName);
    const parent = dirname(dir);
    return {
      path: dir,
      parent: parent === dir || (this.root !== null && !inside(parent, this.root)) ? null : parent,
      root: this.root,
      sep,
      folders: folders.slice(0, MAX_ENTRIES),
      images: images.slice(0, MAX_ENTRIES),
      truncated: folders.length > MAX_ENTRIES || images.length > MAX_ENTRIES,
    };
  }

  /** A small JPEG of an image file inside the scope, upright (EXIF orientation applied). */
  async thumbnail(path: string, side: number): Promise<Thumbnail> {
    if (!IMAGE_EXTENSIONS.includes(extname(path).toLowerCase())) throw new ApiError('BAD_REQUEST', `${path} is not an image file (${IMAGE_EXTENSIONS.join(', ')})`);
    const file = await this.existing(path, 'The image', 'file');
    try {
      const { data, info } = await sharp(file, { limitInputPixels: 268_402_689 })
        .rotate()
        .resize(side, side, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#808080' })
        .jpeg({ quality: 82 })
        .toBuffer({ resolveWithObject: true });
      return { width: info.width, height: info.height, jpeg: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    } catch {
      throw new ApiError('BAD_IMAGE', `${file} is not a readable image`);
    }
  }
}
