import { DEFAULT_SETTINGS, METHODS, type FillSettings, type ImageFormat, type Method } from '../../electron/shared/contract';

/** The subset of `Storage` the settings need, so tests can pass a Map-backed one. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface PersistedSettings {
  methods: Method[];
  steps: number;
  /** True until the person sets steps themselves: then each pack's own default step count is used. */
  stepsFromPack: boolean;
  samples: number;
  seed: number;
  randomSeed: boolean;
  temperature: number;
  truncation: number;
  topK: number;
  /** Refinement stages (FillSettings); both off = the raw method comparison. */
  guidedDecoder: boolean;
  anchorColours: boolean;
  photoTexture: boolean;
  /** Model pack folder; '' = the shipped pack. */
  packDir: string;
  overlayOpacity: number;
  showCells: boolean;
  saveFormat: ImageFormat;
  quality: number;
}

export const SETTINGS_KEY = 'vqddm-studio.settings.v1';

export const DEFAULTS: PersistedSettings = {
  methods: [...DEFAULT_SETTINGS.methods],
  steps: DEFAULT_SETTINGS.steps,
  stepsFromPack: true,
  samples: DEFAULT_SETTINGS.samples,
  seed: DEFAULT_SETTINGS.seed,
  randomSeed: true,
  temperature: DEFAULT_SETTINGS.temperature,
  truncation: DEFAULT_SETTINGS.truncation,
  topK: DEFAULT_SETTINGS.topK,
  guidedDecoder: DEFAULT_SETTINGS.guidedDecoder,
  anchorColours: DEFAULT_SETTINGS.anchorColours,
  photoTexture: DEFAULT_SETTINGS.photoTexture,
  packDir: '',
  overlayOpacity: 0.5,
  showCells: false,
  saveFormat: 'png',
  quality: 90,
};

const clamp = (v: unknown, lo: number, hi: number, dflt: number, int = false): number => {
  let n = typeof v === 'number' && Number.isFinite(v) ? v : dflt;
  if (int) n = Math.round(n);
  return Math.min(hi, Math.max(lo, n));
};

/** Parse stored settings, keeping defaults for anything missing or malformed (never throws). */
export function sanitize(raw: unknown): PersistedSettings {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<Record<keyof PersistedSettings, unknown>>;
  const methods = Array.isArray(r.methods) ? METHODS.filter((m) => (r.methods as unknown[]).includes(m)) : [];
  const fmt = r.saveFormat;
  return {
    methods: methods.length ? methods : [...DEFAULTS.methods],
    steps: clamp(r.steps, 1, 10000, DEFAULTS.steps, true),
    stepsFromPack: typeof r.stepsFromPack === 'boolean' ? r.stepsFromPack : DEFAULTS.stepsFromPack,
    samples: clamp(r.samples, 1, 16, DEFAULTS.samples, true),
    seed: clamp(r.seed, 0, 0xffffffff, DEFAULTS.seed, true),
    randomSeed: typeof r.randomSeed === 'boolean' ? r.randomSeed : DEFAULTS.randomSeed,
    temperature: clamp(r.temperature, 0.01, 10, DEFAULTS.temperature),
    truncation: clamp(r.truncation, 0.01, 1, DEFAULTS.truncation),
    topK: clamp(r.topK, 0, 1 << 20, DEFAULTS.topK, true),
    guidedDecoder: typeof r.guidedDecoder === 'boolean' ? r.guidedDecoder : DEFAULTS.guidedDecoder,
    anchorColours: typeof r.anchorColours === 'boolean' ? r.anchorColours : DEFAULTS.anchorColours,
    photoTexture: typeof r.photoTexture === 'boolean' ? r.photoTexture : DEFAULTS.photoTexture,
    packDir: typeof r.packDir === 'string' ? r.packDir : DEFAULTS.packDir,
    overlayOpacity: clamp(r.overlayOpacity, 0, 1, DEFAULTS.overlayOpacity),
    showCells: typeof r.showCells === 'boolean' ? r.showCells : DEFAULTS.showCells,
    saveFormat: fmt === 'png' || fmt === 'jpeg' || fmt === 'webp' ? fmt : DEFAULTS.saveFormat,
    quality: clamp(r.quality, 1, 100, DEFAULTS.quality, true),
  };
}

/** A uint32 seed from the platform's random source. */
export function randomSeed(): number {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return a[0]!;
}

/** Settings the person can change, persisted on every change (localStorage in both transports). */
export class SettingsState {
  values = $state<PersistedSettings>({ ...DEFAULTS });
  private store: KeyValueStore | null;

  constructor(store: KeyValueStore | null) {
    this.store = store;
    try {
      const text = store?.getItem(SETTINGS_KEY);
      if (text) this.values = sanitize(JSON.parse(text));
    } catch {
      this.values = { ...DEFAULTS };
    }
  }

  update(patch: Partial<PersistedSettings>): void {
    this.values = sanitize({ ...$state.snapshot(this.values), ...patch });
    this.save();
  }

  toggleMethod(m: Method, on: boolean): void {
    const set = new Set(this.values.methods);
    if (on) set.add(m);
    else set.delete(m);
    // At least one method must run; refuse to remove the last.
    if (set.size === 0) return;
    this.update({ methods: METHODS.filter((x) => set.has(x)) });
  }

  reset(): void {
    this.values = { ...DEFAULTS, methods: [...DEFAULTS.methods] };
    this.save();
  }

  /** Settings for one fill. With a random seed, draws a new one and shows it (so it can be copied). */
  forFill(newSeed: boolean, maxSteps = Infinity): FillSettings {
    if (newSeed || this.values.randomSeed) this.update({ seed: randomSeed() });
    // The pack's T bounds the steps; a value saved for another pack is brought into range.
    if (this.values.steps > maxSteps) this.update({ steps: maxSteps });
    const v = $state.snapshot(this.values);
    return {
      methods: [...v.methods],
      steps: v.steps,
      samples: v.samples,
      seed: v.seed,
      temperature: v.temperature,
      truncation: v.truncation,
      topK: v.topK,
      guidedDecoder: v.guidedDecoder,
      anchorColours: v.anchorColours,
      photoTexture: v.photoTexture,
    };
  }

  private save(): void {
    try {
      this.store?.setItem(SETTINGS_KEY, JSON.stringify($state.snapshot(this.values)));
    } catch {
      // Storage full or blocked: settings still apply for this run.
    }
  }
}
