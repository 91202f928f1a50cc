/**
 * Seeded pseudo-random numbers (sfc32, seeded through splitmix32): same seed, same stream, on every
 * platform. Samplers draw one uniform per categorical sample.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}

/** Index i with probability probs[i] / sum(probs) (inverse CDF; one uniform). */
export function sampleCategorical(probs: ArrayLike<number>, offset: number, length: number, u: number): number {
  let total = 0;
  for (let i = 0; i < length; i++) total += probs[offset + i];
  let target = u * total;
  for (let i = 0; i < length; i++) {
    target -= probs[offset + i];
    if (target < 0) return i;
  }
  // Rounding left a sliver: return the last class with non-zero mass.
  for (let i = length - 1; i >= 0; i--) if (probs[offset + i] > 0) return i;
  return length - 1;
}
