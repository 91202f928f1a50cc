/**
 * Typed wrappers around a pack's ONNX sessions. Each input's dtype and shape come from the pack's declared
 * tensors (checked against models/pack.schema.json and against the graph when the pack loaded); a wrapper
 * gives only the data and the sizes of the dynamic dimensions. Every `session.run` goes through `timed`, so
 * the engine can report how much of a fill is model time.
 */
import * as ort from 'onnxruntime-node';
import { ApiError, type Method } from '../../shared/contract.js';
import type { LoadedPack } from '../packs/load.js';
import { KvCache } from './kvCache.js';
import { Limiter } from '../jobs/limiter.js';
import { shapeOf, type Role, type TensorSpec } from '../packs/manifest.js';

type Feed = Float32Array | Int32Array | ort.Tensor;

/** The graphs a fill by these methods runs, in the order it first runs them. */
export function rolesFor(methods: readonly Method[], guided: boolean): Role[] {
  const roles: Role[] = ['encoder'];
  if (methods.includes('vqddm')) roles.push('diffusion');
  if (methods.includes('transformer')) roles.push('transformer');
  roles.push('decoder');
  if (guided) roles.push('guided_decoder');
  return roles;
}

export class PackModels {
  /** Milliseconds spent inside session.run since the last `resetClock`. */
  modelMs = 0;
  calls = 0;
  /** The same per graph. */
  readonly byRole = new Map<Role, { ms: number; calls: number }>();
  /** The model stages of concurrent fills take turns: one device, and the clocks above are per fill. */
  readonly turns = new Limiter(1);

  constructor(readonly pack: LoadedPack) {}

  resetClock(): void {
    this.modelMs = 0;
    this.calls = 0;
    this.byRole.clear();
  }

  private async timed(role: Role, session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    const start = performance.now();
    try {
      return await session.run(feeds);
    } finally {
      const ms = performance.now() - start;
      this.modelMs += ms;
      this.calls++;
      const r = this.byRole.get(role) ?? { ms: 0, calls: 0 };
      this.byRole.set(role, { ms: r.ms + ms, calls: r.calls + 1 });
    }
  }

  /**
   * Runs one role's graph: each declared input from `data` by name (typed arrays become tensors of the declared
   * dtype and shape, `dims` sizing the dynamic dimensions; a tensor passes as it is); outputs by name.
   */
  private async run(role: Role, data: Record<string, Feed>, dims: Record<string, number>): Promise<ort.InferenceSession.ReturnType> {
    const file = this.pack.manifest.files[role];
    if (!file) throw new Error(`this pack has no ${role}`);
    const session = await this.session(role);
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of file.inputs) {
      const value = data[spec.name];
      if (value === undefined) throw new Error(`${role}: no data for its input "${spec.name}"`);
      feeds[spec.name] = ArrayBuffer.isView(value) ? toTensor(spec, value, shapeOf(spec, dims)) : value;
    }
    const out = await this.timed(role, session, feeds);
    for (const spec of file.outputs) if (!out[spec.name]) throw new Error(`${role}: the graph returned no "${spec.name}"`);
    return out;
  }

  /** images [B, 3, S, S] in [-1, 1] -> codes [B, G, G]. */
  async encode(images: Float32Array, B: number, S: number): Promise<Int32Array> {
    const out = await this.run('encoder', { image: images }, { B, '4H': S, '4W': S });
    return toInt32(out.codes.data as BigInt64Array);
  }

  /** codes [B, G, G] -> images [B, 3, S, S], S = G * downsample. */
  async decode(codes: Int32Array, B: number, G: number): Promise<Float32Array> {
    const out = await this.run('decoder', { codes }, { B, H: G, W: G });
    return out.image.data as Float32Array;
  }

  /** True when the pack has a guided decoder (decodes at the photo's scale, seeing the known pixels). */
  get hasGuidedDecoder(): boolean {
    return this.pack.sessions.has('guided_decoder');
  }

  /** The role's session, created on first use; a model that fails to load is the pack's fault (BAD_PACK). */
  private async session(role: Role): Promise<ort.InferenceSession> {
    try {
      return await this.pack.sessions.get(role);
    } catch (err) {
      throw new ApiError('BAD_PACK', `model pack ${this.pack.dir}: ${(err as Error).message}`);
    }
  }

  /** Starts creating the sessions a fill by these methods runs, so they are ready when it needs them. */
  warm(methods: readonly Method[]): void {
    this.pack.sessions.warm(rolesFor(methods, this.hasGuidedDecoder));
  }

  /**
   * codes [B, G, G], images [B, 3, D, D] in [-1, 1] (masked pixels are ignored), masks [B, 1, D, D] (1 = fill)
   * -> images [B, 3, D, D], for any D divisible by 4 with D >= G * downsample.
   */
  async decodeGuided(codes: Int32Array, B: number, G: number, images: Float32Array, masks: Float32Array, D: number): Promise<Float32Array> {
    const out = await this.run('guided_decoder', { codes, known: images, mask: masks }, { B, H: G, W: G, S: D });
    return out.image.data as Float32Array;
  }

  /** z_t [B, G, G], t -> log p(z_0 | z_t) [B, G, G, K]. */
  async denoise(zt: Int32Array, t: number, B: number, G: number): Promise<Float32Array> {
    const out = await this.run('diffusion', { z_t: zt, t: new Int32Array(B).fill(t) }, { B, H: G, W: G });
    return out.log_p0.data as Float32Array;
  }

  /**
   * tokens [B, N] at the positions after those in `past` (null: an empty cache) -> logits [B, N, K] and the
   * cache with the new positions' keys and values appended (`past` itself when they fit in its buffer).
   */
  async transformerStep(tokens: Int32Array, B: number, N: number, past: KvCache | null): Promise<{ logits: Float32Array; present: KvCache }> {
    const { layers, heads, headDim, context } = this.pack.manifest.transformer;
    const cache = past ?? KvCache.empty(layers * 2 * B * heads, headDim);
    const out = await this.run('transformer', { tokens, past_length: Int32Array.of(cache.length), cache: cache.data }, { B, N, C: cache.capacity });
    return { logits: out.logits.data as Float32Array, present: cache.append(out.kv.data as Float32Array, N, context) };
  }
}

/** A typed array as a tensor of the declared dtype (codes travel as Int32Array, the graphs take int64). */
function toTensor(spec: TensorSpec, data: Float32Array | Int32Array, shape: number[]): ort.Tensor {
  if (spec.dtype === 'int64' && data instanceof Int32Array) return new ort.Tensor('int64', toInt64(data), shape);
  if (spec.dtype === 'float32' && data instanceof Float32Array) return new ort.Tensor('float32', data, shape);
  throw new Error(`input "${spec.name}" is ${spec.dtype}, given a ${data.constructor.name}`);
}

function toInt64(a: Int32Array): BigInt64Array {
  const out = new BigInt64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = BigInt(a[i]);
  return out;
}

function toInt32(a: BigInt64Array): Int32Array {
  const out = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number(a[i]);
  return out;
}
