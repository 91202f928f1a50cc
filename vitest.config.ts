import { svelte } from '@sveltejs/vite-plugin-svelte';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Compiles the renderer's `.svelte.ts` state classes (runes) for their unit tests, with Svelte's
  // client runtime.
  plugins: [svelte()],
  resolve: { conditions: ['browser'] },
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/engine/**/*.test.ts'],
    testTimeout: 60_000,
    // the engine remembers pack checksums in the user's cache folder; tests keep theirs apart
    env: { VQDDM_CACHE_DIR: join(tmpdir(), 'vqddm-studio-test-cache') },
    pool: 'forks',
  },
});
