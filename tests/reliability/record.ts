/**
 * What the reliability suites tried and how each case ended, kept for docs/RELIABILITY.md: each suite
 * writes one JSON file under artifacts/reliability/, and `npm run reliability` (scripts/reliability.mjs)
 * runs the suites and turns those files into the document.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RELIABILITY_DIR = join(import.meta.dirname, '..', '..', 'artifacts', 'reliability');

export function recordFigures(name: string, data: unknown): void {
  mkdirSync(RELIABILITY_DIR, { recursive: true });
  writeFileSync(join(RELIABILITY_DIR, `${name}.json`), `${JSON.stringify({ suite: name, at: new Date().toISOString(), ...(data as object) }, null, 1)}\n`);
}
