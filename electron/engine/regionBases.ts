/**
 * Colour anchoring's basis for each region of a fill (image/anchor.ts: the interpolation of the photo's known
 * pixels round the hole, their distances and detail), which depends on those pixels and the mask only. The
 * methods of a compare fill share one computation of it, on the refinement workers, started by the first
 * method whose model stages are done, beside its last paste: on a 1 MP photo with a 10 % box it is some
 * 500 ms of a core that the second method no longer spends. A fill of one method computes it in its
 * refinement job: computed ahead, beside the model stages or the last paste, it gained nothing there
 * (onnxruntime's workers spin on both cores while they run), and the texture search that followed it in a
 * new worker was some 200 ms slower.
 */
import type { FillSettings, MaskImage } from '../shared/contract.js';
import { regionArea, type Region } from '../shared/regions.js';
import { maskInBox } from './image/composite.js';
import { cropPixels, type Pixels } from './image/pixels.js';
import type { PreparedBasis } from './image/anchor.js';
import { refinePool, type RefinePool } from './jobs/refinePool.js';

export class RegionBases {
  /**
   * The bases for the methods of one fill, one signal each: none when there is one method (it computes its
   * own in its refinement) or when `settings` do not anchor colours.
   */
  static forMethods(settings: Pick<FillSettings, 'anchorColours'>, signals: readonly (AbortSignal | undefined)[]): RegionBases | undefined {
    return settings.anchorColours && signals.length > 1 ? new RegionBases(signals) : undefined;
  }

  private bases: Promise<PreparedBasis>[] | null = null;
  /** How many of the users have taken each region's basis. */
  private readonly taken: number[] = [];
  /** Aborted once every user's fill is: a basis another method still waits for goes on otherwise. */
  private readonly stop = new AbortController();

  /** `signals`: one per method that will take the bases (undefined: one that is never canceled). */
  constructor(
    private readonly signals: readonly (AbortSignal | undefined)[],
    private readonly pool: RefinePool = refinePool,
  ) {
    let aborted = 0;
    for (const signal of signals) {
      signal?.addEventListener('abort', () => ++aborted === signals.length && this.stop.abort(), { once: true });
      if (signal?.aborted) aborted++;
    }
    if (aborted === signals.length) this.stop.abort();
  }

  /** Starts computing every region's basis (later calls do nothing). */
  start(image: Pixels, mask: MaskImage, regions: readonly Region[]): void {
    this.bases ??= regions.map((r) => {
      const area = regionArea(r);
      const [w, h] = [area.x1 - area.x0, area.y1 - area.y0];
      const basis = this.pool.prepareBasis(w * h, () => ({ around: cropPixels(image, area.x0, area.y0, w, h), mask: maskInBox(mask, area) }), this.stop.signal);
      // a fill that stops before its refinement (a cancel, a model stage's error) never reads it
      basis.catch(() => undefined);
      return basis;
    });
  }

  /**
   * Region k's basis for one user (`start` called before): the last user gets the computed one, whose buffers
   * move on to its refinement worker, the others a copy; the time it took counts for the first.
   */
  async take(k: number): Promise<PreparedBasis> {
    if (!this.bases) throw new Error('RegionBases.take before start');
    const { basis, ms } = await this.bases[k];
    const nth = (this.taken[k] = (this.taken[k] ?? 0) + 1);
    const time = nth === 1 ? ms : 0;
    if (nth >= this.signals.length || !basis) return { basis, ms: time };
    const { interp, distance, box, detail } = basis;
    return { basis: { interp: interp.slice(), distance: distance.slice(), box, detail: detail && { grid: detail.grid, amplitude: detail.amplitude.slice() } }, ms: time };
  }
}
