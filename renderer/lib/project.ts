/**
 * The project file (`.vqddm`): a ZIP (lib/zip.ts) holding the opened file as it was, the edit history
 * (mask ops as data, each applied result's pixels), the results history's entries (their pixels, masks,
 * thumbnails and settings) and the settings, so a session is saved and reopened whole. `project.json`
 * describes the rest; pixels are raw RGBA members, masks one byte per pixel.
 */
import type { Edit } from './edits';
import { planRecovery, type Recovery, type StoredEdit, type StoredPatch } from './recovery';
import type { SavedEntry } from './savedEntry';
import { readZip, writeZip } from './zip';

export const PROJECT_EXT = 'vqddm';
const FORMAT = 'vqddm-project';
const VERSION = 1;

export interface ProjectInput {
  name: string;
  /** The opened file's own bytes. */
  bytes: Uint8Array;
  done: readonly Edit[];
  undone: readonly Edit[];
  savedId: number;
  settings: Record<string, unknown>;
  entries: readonly SavedEntry[];
}

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface ProjectJson {
  format: typeof FORMAT;
  version: number;
  name: string;
  savedAt: number;
  settings: Record<string, unknown>;
  done: StoredEdit[];
  undone: StoredEdit[];
  savedIndex: number | null;
  /** Applied results by key: their rectangles, pixels in `applied/<key>/<i>`. */
  applied: Record<string, Rect[]>;
  /** Pixels in `entries/<i>/thumb` and `entries/<i>/<j>.rgba` / `.mask`; patches null: thumbnail only. */
  entries: (Omit<SavedEntry, 'patches' | 'thumb'> & { thumb: { width: number; height: number }; patches: { x: number; y: number; width: number; height: number }[] | null })[];
}

export function writeProject(p: ProjectInput, now = Date.now()): Uint8Array {
  const plan = planRecovery(p.bytes.byteLength, p.done, p.undone, p.savedId, p.settings, Infinity, now)!;
  const files: { name: string; data: Uint8Array }[] = [{ name: 'original', data: p.bytes }];
  const applied: Record<string, Rect[]> = {};
  for (const [key, patches] of plan.patches) {
    applied[key] = patches.map(({ x, y, width, height }) => ({ x, y, width, height }));
    patches.forEach((q, i) => files.push({ name: `applied/${key}/${i}`, data: q.after }));
  }
  const entries = p.entries.map((e, i) => {
    files.push({ name: `entries/${i}/thumb`, data: e.thumb.data });
    e.patches?.forEach((q, j) => files.push({ name: `entries/${i}/${j}.rgba`, data: q.image.data }, { name: `entries/${i}/${j}.mask`, data: q.mask }));
    return {
      fill: e.fill,
      sample: e.sample,
      samples: e.samples,
      result: e.result,
      madeAt: e.madeAt,
      thumb: { width: e.thumb.width, height: e.thumb.height },
      patches: e.patches?.map((q) => ({ x: q.x, y: q.y, width: q.image.width, height: q.image.height })) ?? null,
    };
  });
  const { done, undone, savedIndex, settings } = plan.state;
  const json: ProjectJson = { format: FORMAT, version: VERSION, name: p.name, savedAt: now, settings, done, undone, savedIndex, applied, entries };
  files.unshift({ name: 'project.json', data: new TextEncoder().encode(JSON.stringify(json)) });
  return writeZip(files);
}

/**
 * A project file read back: the document as a recovery copy (reopened the same way, lib/recovery.ts
 * replayRecovery) and the results history's entries. Throws a message naming the problem otherwise.
 */
export function readProject(bytes: Uint8Array): { recovery: Recovery; entries: SavedEntry[] } {
  const files = readZip(bytes);
  const bad = (why: string) => new Error(`Not a readable project file: ${why}.`);
  const member = (name: string, length?: number): Uint8Array => {
    const d = files.get(name);
    if (!d) throw bad(`${name} is missing`);
    if (length !== undefined && d.length !== length) throw bad(`${name} has ${d.length} bytes, not ${length}`);
    return d.slice(); // its own buffer: the archive's is not kept alive by one small part
  };
  let json: ProjectJson;
  try {
    json = JSON.parse(new TextDecoder().decode(member('project.json'))) as ProjectJson;
  } catch (e) {
    throw e instanceof Error && e.message.startsWith('Not a readable') ? e : bad('project.json is not JSON');
  }
  if (json?.format !== FORMAT) throw bad('it is not a VQ-DDM Studio project');
  if (json.version !== VERSION) throw bad(`it is of version ${String(json.version)}; this editor reads version ${VERSION}`);
  const patches = new Map<string, StoredPatch[]>();
  for (const [key, rects] of Object.entries(json.applied)) {
    patches.set(key, rects.map((r, i) => ({ ...r, after: member(`applied/${key}/${i}`, r.width * r.height * 4) })));
  }
  const entries = json.entries.map((e, i): SavedEntry => ({
    fill: e.fill,
    sample: e.sample,
    samples: e.samples,
    result: e.result,
    madeAt: e.madeAt,
    thumb: { width: e.thumb.width, height: e.thumb.height, data: member(`entries/${i}/thumb`, e.thumb.width * e.thumb.height * 4) },
    patches:
      e.patches?.map((q, j) => ({
        x: q.x,
        y: q.y,
        image: { width: q.width, height: q.height, data: member(`entries/${i}/${j}.rgba`, q.width * q.height * 4) },
        mask: member(`entries/${i}/${j}.mask`, q.width * q.height),
      })) ?? null,
  }));
  const recovery: Recovery = {
    doc: { name: json.name, bytes: member('original'), openedAt: json.savedAt },
    state: { savedAt: json.savedAt, done: json.done, undone: json.undone, savedIndex: json.savedIndex, settings: json.settings, dropped: 0 },
    patches,
  };
  return { recovery, entries };
}
