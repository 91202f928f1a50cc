/**
 * What the bench measures about the machine rather than the models: the MatMul peak its figures are held
 * against, and how much of the CPU other processes took while a row ran (a shared machine skews every
 * figure; the bench repeats a row measured under load and records what it saw).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { matmulModel } from '../../engine/ort/onnxGraph.js';
import { sessionOptions } from '../../engine/ort/providers.js';
import { median } from './median.js';

/**
 * GFLOP/s of onnxruntime's MatMul on an n x n float product with the engine's session options (threads,
 * spinning): the peak the graphs' efficiency is measured against.
 */
export async function matmulPeak(provider: string, n = 1024, runs = 15): Promise<number> {
  const session = await ort.InferenceSession.create(matmulModel(n), sessionOptions(provider));
  try {
    const a = new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), [n, n]);
    const times: number[] = [];
    for (let r = 0; r < runs + 3; r++) {
      const t = performance.now();
      await session.run({ A: a, B: a });
      if (r >= 3) times.push(performance.now() - t);
    }
    return (2 * n ** 3) / (median(times) * 1e6);
  } finally {
    await session.release();
  }
}

/** Busy CPU seconds of the whole machine so far (Linux /proc/stat), or null where it cannot be read. */
function machineBusySeconds(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields; // idle and iowait are not busy
    // steal: time the hypervisor gave to other machines, which skews figures as much as a local job
    return (user + nice + system + irq + softirq + (steal ?? 0)) / 100; // USER_HZ = 100
  } catch {
    return null;
  }
}

export interface Quiet {
  /** Share of the machine's CPU (0-1) that other processes used while it ran; null where unknown. */
  foreign_cpu: number | null;
  /** 1-minute load average before and after. */
  load_avg: [number, number];
}

/** Starts watching the machine; the returned function stops and says how quiet it was. */
export function watchMachine(): () => Quiet {
  const busy0 = machineBusySeconds();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const load0 = loadavg()[0];
  return () => {
    const busy1 = machineBusySeconds();
    const own = process.cpuUsage(own0);
    const wall = (performance.now() - t0) / 1000;
    const foreign = busy0 === null || busy1 === null || wall <= 0 ? null : Math.max(0, (busy1 - busy0 - (own.user + own.system) / 1e6) / (wall * availableParallelism()));
    return { foreign_cpu: foreign, load_avg: [load0, loadavg()[0]] };
  };
}
