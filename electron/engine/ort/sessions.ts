/**
 * A pack's ONNX sessions, created when first needed. A fill by VQ-DDM never touches the transformer and a
 * fill by the transformer never touches the diffusion model, so a process that fills once (`vqddm inpaint`)
 * creates only what its method runs, and the app starts creating the rest in the background (`warm`) while
 * the person opens a photo. Sessions come from the optimised-model cache when it has them
 * (optimizedCache.ts). The provider is the one the pack's first session chose (packs/load.ts).
 */
import type * as ort from 'onnxruntime-node';
import { createCachedSession } from './optimizedCache.js';
import { sessionOptions } from './providers.js';

export interface SessionSource {
  /** The model file's path and sha256 (verified when the pack loaded). */
  path: string;
  sha256: string;
}

export class PackSessions<R extends string> {
  private readonly made = new Map<R, Promise<ort.InferenceSession>>();
  private readonly live = new Set<ort.InferenceSession>();
  /** Roles whose session came from the optimised-model cache. */
  readonly fromCache = new Set<R>();
  private released = false;

  constructor(
    private readonly sources: Partial<Record<R, SessionSource>>,
    readonly provider: string,
    /** Options for a role's session beyond `sessionOptions(provider)` (e.g. profiling). */
    private readonly extra: (role: R) => ort.InferenceSession.SessionOptions = () => ({}),
    /** Where the optimised models are cached; undefined: the user's cache folder; false: not cached. */
    private readonly cache?: string | false,
  ) {}

  has(role: R): boolean {
    return this.sources[role] !== undefined;
  }

  /** Adds a session the caller created (the one that chose the provider). */
  adopt(role: R, session: ort.InferenceSession, fromCache: boolean): void {
    this.live.add(session);
    if (fromCache) this.fromCache.add(role);
    this.made.set(role, Promise.resolve(session));
  }

  /** The role's session, created on first use; concurrent callers share one creation. */
  get(role: R): Promise<ort.InferenceSession> {
    const known = this.made.get(role);
    if (known) return known;
    const source = this.sources[role];
    if (!source) return Promise.reject(new Error(`this pack has no ${role}`));
    if (this.released) return Promise.reject(new Error('the pack was released'));
    const making = createCachedSession(source.path, source.sha256, this.provider, { ...sessionOptions(this.provider), ...this.extra(role) }, this.cache).then(
      async ({ session, cached }) => {
        if (this.released) {
          await session.release();
          throw new Error('the pack was released');
        }
        this.live.add(session);
        if (cached) this.fromCache.add(role);
        return session;
      },
      (err: Error) => {
        this.made.delete(role); // a later call tries again
        throw new Error(`${role}: ${err.message.split('\n')[0]}`);
      },
    );
    this.made.set(role, making);
    return making;
  }

  /** Starts creating these roles' sessions now; failures surface when a role is used. */
  warm(roles: readonly R[]): void {
    for (const role of roles) if (this.has(role)) this.get(role).catch(() => undefined);
  }

  /** Roles whose sessions exist (or are being created). */
  created(): R[] {
    return [...this.made.keys()];
  }

  /** Every session the pack created, for profiling. */
  async all(): Promise<Map<R, ort.InferenceSession>> {
    const out = new Map<R, ort.InferenceSession>();
    for (const [role, p] of this.made) out.set(role, await p);
    return out;
  }

  async release(): Promise<void> {
    this.released = true;
    const pending = [...this.made.values()].map((p) => p.catch(() => null));
    await Promise.all(pending);
    await Promise.all([...this.live].map((s) => s.release()));
    this.live.clear();
    this.made.clear();
  }
}
