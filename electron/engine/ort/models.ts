/**
 * Typed wrappers around a pack's four ONNX sessions, in the tensor layouts of models/README.md. Every
 * `session.run` goes through `timed`, so the engine can report how much of a fill is model time.
 */
import * as ort from 'onnxruntime-node';
import type { LoadedPack } from '../packs/load.js';

export class PackModels {
  /** Milliseconds spent inside session.run since the last `resetClock`. */
  modelMs = 0;
  calls = 0;

  constructor(readonly pack: LoadedPack) {}

  resetClock(): void {
    this.modelMs = 0;
    this.calls = 0;
  }

  private async timed(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    const start = performance.now();
    try {
      return await session.run(feeds);
    } finally {
      this.modelMs += performance.now() - start;
      this.calls++;
    }
  }

  /** images [B, 3, S, S] in [-1, 1] -> codes [B, G, G]. */
  async encode(images: Float32Array, B: number, S: number): Promise<Int32Array> {
    const out = await this.timed(this.pack.sessions.encoder, { image: new ort.Tensor('float32', images, [B, 3, S, S]) });
    return toInt32(out.codes.data as BigInt64Array);
  }

  /** codes [B, G, G] -> images [B, 3, S, S], S = G * downsample. */
  async decode(codes: Int32Array, B: number, G: number): Promise<Float32Array> {
    const out = await this.timed(this.pack.sessions.decoder, { codes: new ort.Tensor('int64', toInt64(codes), [B, G, G]) });
    return out.image.data as Float32Array;
  }

  /** True when the pack has a guided decoder (decodes at the photo's scale, seeing the known pixels). */
  get hasGuidedDecoder(): boolean {
    return this.pack.sessions.guided_decoder !== undefined;
  }

  /**
   * codes [B, G, G], images [B, 3, D, D] in [-1, 1] (masked pixels are ignored), masks [B, 1, D, D] (1 = fill)
   * -> images [B, 3, D, D], for any D divisible by 4 with D >= G * downsample.
   */
  async decodeGuided(codes: Int32Array, B: number, G: number, images: Float32Array, masks: Float32Array, D: number): Promise<Float32Array> {
    const session = this.pack.sessions.guided_decoder;
    if (!session) throw new Error('this pack has no guided decoder');
    const out = await this.timed(session, {
      codes: new ort.Tensor('int64', toInt64(codes), [B, G, G]),
      known: new ort.Tensor('float32', images, [B, 3, D, D]),
      mask: new ort.Tensor('float32', masks, [B, 1, D, D]),
    });
    return out.image.data as Float32Array;
  }

  /** z_t [B, G, G], t -> log p(z_0 | z_t) [B, G, G, K]. */
  async denoise(zt: Int32Array, t: number, B: number, G: number): Promise<Float32Array> {
    const tt = new BigInt64Array(B).fill(BigInt(t));
    const out = await this.timed(this.pack.sessions.diffusion, {
      z_t: new ort.Tensor('int64', toInt64(zt), [B, G, G]),
      t: new ort.Tensor('int64', tt, [B]),
    });
    return out.log_p0.data as Float32Array;
  }

  /**
   * tokens [B, N] with a KV cache `past` [L, 2, B, heads, P, head_dim] (null: P = 0)
   * -> logits [B, N, K] and present [L, 2, B, heads, P + N, head_dim].
   */
  async transformerStep(tokens: Int32Array, B: number, N: number, past: ort.Tensor | null): Promise<{ logits: Float32Array; present: ort.Tensor }> {
    const { layers, heads, headDim } = this.pack.manifest.transformer;
    const pastTensor = past ?? new ort.Tensor('float32', new Float32Array(0), [layers, 2, B, heads, 0, headDim]);
    const out = await this.timed(this.pack.sessions.transformer, {
      tokens: new ort.Tensor('int64', toInt64(tokens), [B, N]),
      past: pastTensor,
    });
    return { logits: out.logits.data as Float32Array, present: out.present };
  }
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
