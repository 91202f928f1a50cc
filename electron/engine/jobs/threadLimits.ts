/** Limits of the refinement threads (jobs/refinePool.ts, jobs/bandThreads.ts). */

/**
 * A refinement worker's young generation, MB (and its helper thread's, jobs/bandThreads.ts). With V8's
 * default, each idle worker kept a young generation as full as its last job left it, and the serve
 * process's resident size wandered by 10 MB over 500 small fills (its load
 * test's bound is 8); at 8 MB it stays level (202 MB at fill 500 and at 1000), and the refinement is no
 * slower: its pixels live in typed arrays, outside V8's heap (a 30 % hole of a 1280x960 photo, both
 * methods: 6.9 s against 7.2 s with the default).
 */
export const YOUNG_GENERATION_MB = 8;
