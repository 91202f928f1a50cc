import type { ImageFormat } from '../../electron/shared/contract';
import { clampSetting, DEFAULT_SETTINGS, METHODS, NUMBER_FIELDS, PACK_SETTINGS, STAGE_FIELDS, type FillSettings, type Method, type NumberSetting, type PackSetting, type StageSetting } from '../../electron/shared/settings';

/** The subset of `Storage` the settings need, so tests can pass a Map-backed one. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The fill settings (their schema: shared/settings.ts) and the editor's own. */
export interface PersistedSettings extends FillSettings {
  /**
   * The settings that follow the loaded pack's own defaults (steps, truncation, top-k: how its priors sample
   * best); one leaves the list when the person sets it.
   */
  fromPack: PackSetting[];
  randomSeed: boolean;
  /** Model pack folder; '' = the shipped pack. */
  packDir: string;
  overlayOpacity: number;
  showCells: boolean;
  saveFormat: ImageFormat;
  quality: number;
  /** Brush Size counts screen pixels (ToolState.screenSized), not photo pixels. */
  brushScreenSized: boolean;
}

export const SETTINGS_KEY = 'vqddm-studio.settings.v1';

export const DEFAULTS: PersistedSettings = {
  ...DEFAULT_SETTINGS,
  methods: [...DEFAULT_SETTINGS.methods],
  fromPack: [...PACK_SETTINGS],
  randomSeed: true,
  packDir: '',
  overlayOpacity: 0.5,
  showCells: false,
  saveFormat: 'png',
  quality: 90,
  brushScreenSized: false,
};

const clamp = (v: unknown, lo: number, hi: number, dflt: number, int = false): number => {
  let n = typeof v === 'number' && Number.isFinite(v) ? v : dflt;
  if (int) n = Math.round(n);
  return Math.min(hi, Math.max(lo, n));
};
const flag = (v: unknown, dflt: boolean): boolean => (typeof v === 'boolean' ? v : dflt);

/**
 * The stored `fromPack` list, known names only; settings saved before it existed kept the steps the person
 * set (`stepsFromPack: false`) and follow the pack for the rest.
 */
function packOwned(r: Partial<Record<string, unknown>>): PackSetting[] {
  if (Array.isArray(r.fromPack)) return PACK_SETTINGS.filter((k) => (r.fromPack as unknown[]).includes(k));
  return r.stepsFromPack === false ? PACK_SETTINGS.filter((k) => k !== 'steps') : [...PACK_SETTINGS];
}

/** Parse stored settings, keeping defaults for anything missing or malformed (never throws). */
export function sanitize(raw: unknown): PersistedSettings {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<Record<keyof PersistedSettings, unknown>>;
  const methods = Array.isArray(r.methods) ? METHODS.filter((m) => (r.methods as unknown[]).includes(m)) : [];
  const fmt = r.saveFormat;
  // The fill settings by their schema (shared/settings.ts); the rest are the editor's own.
  const numbers = Object.fromEntries((Object.keys(NUMBER_FIELDS) as NumberSetting[]).map((k) => [k, clampSetting(k, r[k])])) as Record<NumberSetting, number>;
  const stages = Object.fromEntries((Object.keys(STAGE_FIELDS) as StageSetting[]).map((k) => [k, flag(r[k], STAGE_FIELDS[k].default)])) as Record<StageSetting, boolean>;
  return {
    ...numbers,
    ...stages,
    methods: methods.length ? methods : [...DEFAULTS.methods],
    fromPack: packOwned(r),
    randomSeed: flag(r.randomSeed, DEFAULTS.randomSeed),
    packDir: typeof r.packDir === 'string' ? r.packDir : DEFAULTS.packDir,
    overlayOpacity: clamp(r.overlayOpacity, 0, 1, DEFAULTS.overlayOpacity),
    showCells: flag(r.showCells, DEFAULTS.showCells),
    saveFormat: fmt === 'png' || fmt === 'jpeg' || fmt === 'webp' ? fmt : DEFAULTS.saveFormat,
    quality: clamp(r.quality, 1, 100, DEFAULTS.quality, true),
    brushScreenSized: flag(r.brushScreenSized, DEFAULTS.brushScreenSized),
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

  /** A value the person set: it no longer follows the pack's default. */
  set(key: NumberSetting, value: number): void {
    this.update({ [key]: value, fromPack: this.values.fromPack.filter((k) => k !== key) });
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
    this.values = { ...DEFAULTS, methods: [...DEFAULTS.methods], fromPack: [...DEFAULTS.fromPack] };
    this.save();
  }

  /** Settings for one fill. With a random seed, draws a new one and shows it (so it can be copied). */
  forFill(newSeed: boolean, maxSteps = Infinity): FillSettings {
    if (newSeed || this.values.randomSeed) this.update({ seed: randomSeed() });
    // The pack's T bounds the steps; a value saved for another pack is brought into range.
    if (this.values.steps > maxSteps) this.update({ steps: maxSteps });
    const v = $state.snapshot(this.values);
    const fill: FillSettings = { ...DEFAULT_SETTINGS };
    for (const k of Object.keys(NUMBER_FIELDS) as NumberSetting[]) fill[k] = v[k];
    for (const k of Object.keys(STAGE_FIELDS) as StageSetting[]) fill[k] = v[k];
    return { ...fill, methods: [...v.methods] };
  }

  private save(): void {
    try {
      this.store?.setItem(SETTINGS_KEY, JSON.stringify($state.snapshot(this.values)));
    } catch {
      // Storage full or blocked: settings still apply for this run.
    }
  }
}
