/**
 * Which pack folders a client may load (`loadPack` from a page): the shipped packs, folders under a packs
 * directory (serve's `--packs DIR`), and single folders the host vouches for (the desktop's folder dialog,
 * through main). A requested path is resolved with realpath before the check, so a symbolic link, or a
 * path with `..`, that leads out of the allowed folders is refused; the pack is then loaded from the
 * resolved path, so what was checked is what is read. Refusals are BAD_PACK errors naming the rule and
 * never the contents of anything.
 */
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { ApiError } from '../../shared/contract.js';

const inside = (path: string, root: string) => path.startsWith(root.endsWith(sep) ? root : root + sep);

async function real(path: string): Promise<string | null> {
  try {
    return await realpath(path);
  } catch {
    return null;
  }
}

export interface AllowListOptions {
  /** The packs directory: its sub-folders (any depth) are allowed, and relative requests are taken from it. */
  root?: string;
  /** Folders allowed themselves: the shipped packs, the pack given at start. */
  packs?: string[];
  /** The end of a refusal, saying where packs may come from, e.g. "packs are loaded only from ...". */
  rule: string;
}

export class PackAllowList {
  /** Real paths of folders whose sub-folders (at any depth) may be loaded. */
  private readonly roots: string[] = [];
  /** Real paths of folders that may be loaded themselves. */
  private readonly exact = new Set<string>();

  private constructor(
    private readonly root: string | null,
    private readonly rule: string,
  ) {}

  static async create(o: AllowListOptions): Promise<PackAllowList> {
    const list = new PackAllowList(o.root === undefined ? null : resolve(o.root), o.rule);
    if (o.root !== undefined) {
      const r = await real(o.root);
      if (r) list.roots.push(r);
    }
    for (const p of o.packs ?? []) await list.allow(p);
    return list;
  }

  /** Allows one folder (a shipped pack, the pack given at start, a folder chosen in the host's dialog). */
  async allow(dir: string): Promise<boolean> {
    const r = await real(dir);
    if (r) this.exact.add(r);
    return r !== null;
  }

  /** The real path to load for `requested`, or BAD_PACK saying why it may not be loaded. */
  async resolve(requested: string): Promise<string> {
    if (!isAbsolute(requested) && this.root === null) throw new ApiError('BAD_PACK', `model pack ${requested}: a pack folder is given by its full path; ${this.rule}`);
    const abs = isAbsolute(requested) ? resolve(requested) : resolve(this.root!, requested);
    const r = await real(abs);
    if (r === null) throw new ApiError('BAD_PACK', `model pack ${requested}: no such folder`);
    const st = await stat(r).catch(() => null);
    if (!st?.isDirectory()) throw new ApiError('BAD_PACK', `model pack ${requested}: not a folder`);
    if (this.exact.has(r) || this.roots.some((root) => inside(r, root))) return r;
    const byName = [...(this.root ? [this.root] : []), ...this.roots].some((root) => inside(abs, root));
    if (byName) throw new ApiError('BAD_PACK', `model pack ${requested}: it leads out of the packs folder through a symbolic link; ${this.rule}`);
    throw new ApiError('BAD_PACK', `model pack ${requested}: ${this.rule}`);
  }
}
