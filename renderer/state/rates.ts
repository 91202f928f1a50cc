import type { Rate } from '../lib/eta';
import type { KeyValueStore } from './settings.svelte';

export const RATES_KEY = 'vqddm-studio.rates.v1';
/** Kept per pack, method and settings (lib/eta.ts rateKey); the oldest go past this many. */
const MAX_RATES = 64;

/** Measured fill speeds, kept between runs (localStorage), for the time-left estimate. */
export class RateBook {
  private rates: Record<string, Rate> = {};
  private readonly store: KeyValueStore | null;

  constructor(store: KeyValueStore | null) {
    this.store = store;
    try {
      const raw = JSON.parse(store?.getItem(RATES_KEY) ?? '{}') as Record<string, Rate>;
      for (const [k, r] of Object.entries(raw)) {
        if ([r?.perUnitMs, r?.preMsPerMpx, r?.postMsPerMpx].every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) this.rates[k] = r;
      }
    } catch {
      this.rates = {};
    }
  }

  get(key: string): Rate | undefined {
    return this.rates[key];
  }

  record(key: string, rate: Rate): void {
    const { [key]: _, ...rest } = this.rates;
    const entries = Object.entries(rest);
    this.rates = Object.fromEntries([...entries.slice(Math.max(0, entries.length - MAX_RATES + 1)), [key, rate]]);
    try {
      this.store?.setItem(RATES_KEY, JSON.stringify(this.rates));
    } catch {
      // storage full or blocked: the rate holds for this run
    }
  }
}
