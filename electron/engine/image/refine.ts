/**
 * The pixel-space refinement of one region of a fill (colour anchoring, then photo texture), for every
 * sample at once: a pure function of its inputs, so it runs the same in a worker thread (refineWorker.ts,
 * through jobs/refinePool.ts) as in the calling thread.
 */
import { anchorBasis, ColourAnchor, type AnchorBasis } from './anchor.js';
import { completeStructure } from './completion.js';
import type { Pixels } from './pixels.js';
import { serialBands, type BandRunner } from './patchSearch.js';

export interface RefineJob {
  /** The photo over the area the region's crops saw: its known pixels are the anchor's boundary and the completion's sources. */
  around: Pixels;
  /** 1 where the area is to be filled (around's width x height). */
  mask: Uint8Array;
  /** One per sample: `around` with that sample's fill pasted in; refined in place. */
  works: Pixels[];
  /** The completion's seed for each sample. */
  seeds: number[];
  anchor: boolean;
  /**
   * The anchor's basis when it was computed ahead, once for the methods of a compare fill (`anchorBasis` of
   * `around` and `mask`; engine/regionBases.ts); computed here when absent.
   */
  basis?: AnchorBasis | null;
  /** How much of the photo texture goes over the anchored fill, 0..1 (`textureStrength`); 0: the stage does not run. */
  texture: number;
}

export interface RefineResult {
  anchored: boolean;
  textured: boolean;
  /** Milliseconds in each stage (the anchor's basis included when computed here). */
  anchorMs: number;
  textureMs: number;
  /** Rounds of the photo texture's patch search whose bands ran side by side on two threads. */
  parallelRounds: number;
}

/** `bands`: what runs the patch search's bands (a worker's helper thread, or one after the other here). */
export function refineRegion(job: RefineJob, bands: BandRunner = serialBands): RefineResult {
  const { around, mask, works, seeds } = job;
  let t0 = performance.now();
  // The interpolation of the known pixels is the same for every sample: computed once per region.
  const basis = !job.anchor ? null : job.basis !== undefined ? job.basis : anchorBasis(around, mask);
  const anchor = basis && new ColourAnchor(basis);
  let anchorMs = performance.now() - t0;
  let textureMs = 0;
  let textured = false;
  const rounds = bands.parallelRounds;
  works.forEach((work, b) => {
    t0 = performance.now();
    anchor?.apply(work, mask);
    anchorMs += performance.now() - t0;
    t0 = performance.now();
    if (job.texture > 0) textured = completeStructure(work, mask, { seed: seeds[b], distance: anchor?.distance, strength: job.texture, bands }) || textured;
    textureMs += performance.now() - t0;
  });
  return { anchored: anchor !== null, textured, anchorMs, textureMs, parallelRounds: bands.parallelRounds - rounds };
}
