import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Compiles the renderer's `.svelte.ts` state classes (runes) for their unit tests, with Svelte's
  // client runtime.
  plugins: [svelte()],
  resolve: { conditions: ['browser'] },
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/engine/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
