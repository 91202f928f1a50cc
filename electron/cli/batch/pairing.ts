/**
 * Which photo goes with which mask: the folders are listed (sub-folders with `--recursive`) and each photo
 * gets its mask by the chosen rule. Only names are looked at here; sizes and contents are `inspect.ts`'s.
 * A photo whose mask cannot be found, or whose stem another photo shares, gets a `problem` and fails alone.
 * With the results beside the photos (`--in-place-suffix`), files named like results are left out.
 */
import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { outputNameTest } from './names.js';
import type { PairRule } from './options.js';

/** Extensions read as images (what the engine's decoder takes). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.avif', '.gif'];

export interface Item {
  /** The photo's path relative to --images, '/'-separated: the item's name in the record and its seed's source. */
  key: string;
  /** Absolute path of the photo. */
  photo: string;
  /** Folder relative to --images ('' at the top), '/'-separated; the output mirrors it. */
  dir: string;
  stem: string;
  /** Absolute path of the mask; null with the alpha rule, or when none was found. */
  mask: string | null;
  rule: PairRule;
  /** Why this item cannot be filled, found from the names alone; null when it can be tried. */
  problem: string | null;
}

export interface Pairing {
  items: Item[];
  /** Masks no photo claims (absolute paths). */
  orphans: string[];
}

const isImage = (name: string) => IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
const stemOf = (name: string) => name.slice(0, name.length - extname(name).length);
const MASK_SUFFIX = /(_mask|\.mask)$/i;

/**
 * Image files under `root` as '/'-separated relative paths, sorted by code unit (the same order on every
 * machine, so shards agree). Hidden files, temporaries and the `skip` folders (the output folder inside
 * the photos folder, say) are left out; symbolic links to folders are not followed.
 */
export async function listImages(root: string, recursive: boolean, skip: Set<string>): Promise<string[]> {
  const found: string[] = [];
  const walk = async (rel: string) => {
    const entries = await readdir(rel ? join(root, rel) : root, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (recursive && !skip.has(join(root, relPath))) await walk(relPath);
      } else if ((e.isFile() || e.isSymbolicLink()) && isImage(e.name)) found.push(relPath);
    }
  };
  await walk('');
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const dirOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

/** Groups relative paths by (folder, stem); `stemKey` maps a file's stem to the photo stem it belongs to. */
function byStem(files: string[], stemKey: (stem: string) => string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const f of files) {
    const key = `${dirOf(f)}/${stemKey(stemOf(basename(f)))}`;
    map.set(key, [...(map.get(key) ?? []), f]);
  }
  return map;
}

/** `inPlaceSuffix`: the results' suffix when they lie beside the photos, else null. */
export async function pairPhotos(opts: { images: string; masks: string | null; pair: PairRule; recursive: boolean; skip: string[]; inPlaceSuffix: string | null }): Promise<Pairing> {
  const skip = new Set(opts.skip);
  let files = await listImages(opts.images, opts.recursive, skip);
  if (opts.inPlaceSuffix !== null) {
    const isOutput = outputNameTest(opts.inPlaceSuffix);
    files = files.filter((f) => !isOutput(basename(f)));
  }
  let photos = files;
  let masks: string[] = [];
  let maskRoot = opts.images;
  if (opts.pair === 'suffix') {
    photos = files.filter((f) => !MASK_SUFFIX.test(stemOf(basename(f))));
    masks = files.filter((f) => MASK_SUFFIX.test(stemOf(basename(f))));
  } else if (opts.pair === 'stem') {
    maskRoot = opts.masks!;
    masks = await listImages(maskRoot, opts.recursive, skip);
  } else if (opts.pair === 'single') {
    photos = files.filter((f) => join(opts.images, f) !== opts.masks);
  }

  // Two photos in one folder with one stem (IMG_1.jpg, IMG_1.png, or IMG_1.JPG on a case-blind disk)
  // would write the same outputs and want the same mask: both are refused.
  const sameStem = byStem(photos, (s) => s.toLowerCase());
  const masksByStem = byStem(masks, (s) => (opts.pair === 'suffix' ? s.replace(MASK_SUFFIX, '') : s));
  const claimed = new Set<string>();
  const items = photos.map((rel): Item => {
    const dir = dirOf(rel);
    const stem = stemOf(basename(rel));
    const item: Item = { key: rel, photo: join(opts.images, rel), dir, stem, mask: null, rule: opts.pair, problem: null };
    const twins = sameStem.get(`${dir}/${stem.toLowerCase()}`)!;
    if (twins.length > 1) item.problem = `${twins.join(' and ')} share the stem "${stem}" (their outputs and masks would collide); rename one`;
    if (opts.pair === 'single') item.mask = opts.masks;
    if (opts.pair === 'stem' || opts.pair === 'suffix') {
      const candidates = masksByStem.get(`${dir}/${stem}`) ?? [];
      candidates.forEach((c) => claimed.add(c));
      const where = opts.pair === 'stem' ? join(maskRoot, dir) : join(opts.images, dir);
      if (candidates.length === 1) item.mask = join(maskRoot, candidates[0]);
      else if (candidates.length > 1) item.problem ??= `${candidates.length} masks for one photo: ${candidates.join(', ')}; keep one`;
      else
        item.problem ??=
          opts.pair === 'stem'
            ? `no mask: nothing named ${stem}.<png|jpg|webp|...> in ${where}`
            : `no mask: nothing named ${stem}_mask.<png|jpg|...> or ${stem}.mask.<png|jpg|...> beside it`;
    }
    return item;
  });
  const orphans = masks.filter((m) => !claimed.has(m)).map((m) => join(maskRoot, m));
  return { items, orphans };
}

/** Every n-th item starting with the k-th (1-based): the same split on every machine. */
export function shardItems<T>(items: T[], k: number, n: number): T[] {
  return items.filter((_, i) => i % n === k - 1);
}
