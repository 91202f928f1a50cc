/**
 * The transformer's KV cache between calls, kept by the engine (pack format 2): a buffer [L, 2, B, heads,
 * capacity, head_dim] whose first `length` slots per row hold the keys and values of the positions fed so
 * far. The graph reads the buffer where it lies (slots past `length` are masked, whatever they hold) and
 * returns only the new positions' keys and values [L, 2, B, heads, N, head_dim], written in here. So a call
 * neither copies the cache nor allocates one: format 1 returned the whole cache, grown by N, every call, and
 * a call's time grew with the cache (0.27 ms at 32 positions, 0.68 ms at 224 on these 2 cores; now 0.35 ms
 * at any length).
 */
export class KvCache {
  private constructor(
    /** [L, 2, B, heads, capacity, head_dim] */
    readonly data: Float32Array,
    /** L * 2 * B * heads: the rows a slot index runs along. */
    readonly rows: number,
    readonly capacity: number,
    readonly headDim: number,
    /** Slots filled (the positions fed so far). */
    public length: number,
  ) {}

  /** An empty cache with no slots (a first call, or every call of the uncached transformer). */
  static empty(rows: number, headDim: number): KvCache {
    return new KvCache(new Float32Array(0), rows, 0, headDim, 0);
  }

  /**
   * Appends the `n` new positions' keys and values `kv` [rows, n, head_dim] after the filled slots, growing
   * the buffer to `reserve` slots (at least) when they do not fit, so a cache that will be fed up to the
   * model's context grows once. An empty cache takes `kv` itself as its buffer (no copy): a first call's
   * cache, and the only one of an uncached call, whose cache is never fed again.
   */
  append(kv: Float32Array, n: number, reserve: number): KvCache {
    const { rows, headDim: hd } = this;
    if (kv.length !== rows * n * hd) throw new Error(`the transformer returned ${kv.length} cache values for ${n} positions, expected ${rows * n * hd}`);
    const need = this.length + n;
    if (this.length === 0) return new KvCache(kv, rows, n, hd, n);
    let target: KvCache = this;
    if (need > this.capacity) {
      const capacity = Math.max(need, reserve);
      target = new KvCache(new Float32Array(rows * capacity * hd), rows, capacity, hd, this.length);
      for (let r = 0; r < rows; r++) target.data.set(this.data.subarray(r * this.capacity * hd, (r * this.capacity + this.length) * hd), r * capacity * hd);
    }
    for (let r = 0; r < rows; r++) target.data.set(kv.subarray(r * n * hd, (r + 1) * n * hd), (r * target.capacity + this.length) * hd);
    target.length = need;
    return target;
  }
}
