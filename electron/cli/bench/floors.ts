/**
 * Fills and graphs held against the machine's peak: a graph's efficiency is its FLOPs per call over its
 * measured time per call, as a share of the MatMul peak; a fill's floor is the time its FLOPs would take at
 * that peak, the least any implementation on this machine could spend.
 */
import type { Role } from '../../engine/packs/manifest.js';
import type { GraphCount } from './profile.js';

export interface GraphFigure {
  /** MFLOP per call (the transformer's calls differ: the first one reads the known prefix; their mean). */
  mflop: number;
  /** Measured ms per call (median over the row's runs). */
  ms: number;
  /** (mflop / ms) over the peak, 0-1. */
  efficiency: number;
}

export interface FillFloor {
  label: string;
  gflop: number;
  floor_ms: number;
  measured_ms: number;
  over_floor: number;
}

/** What the table needs of a bench row: its label, median time and time per call of each graph. */
export interface Measured {
  label: string;
  median_ms: number;
  graph_ms_per_call: Record<string, number>;
}

export class FloorTable {
  readonly graphs: Record<string, GraphFigure> = {};
  readonly fills: FillFloor[] = [];

  constructor(readonly peakGflops: number) {}

  /** Adds a fill's counts (grid G) and its measured row; returns the fill's floor in ms. */
  add(G: number, counts: Map<Role, GraphCount>, measured: Measured): number {
    let flop = 0;
    for (const [role, c] of counts) {
      flop += c.flop;
      const name = role === 'transformer' ? `transformer g${G} (mean per call)` : `${role} g${G}`;
      const ms = measured.graph_ms_per_call[role];
      if (this.graphs[name] || !ms) continue;
      const mflop = c.flop / c.calls / 1e6;
      this.graphs[name] = { mflop, ms, efficiency: mflop / ms / this.peakGflops }; // MFLOP/ms = GFLOP/s
    }
    const floor = flop / (this.peakGflops * 1e6); // ms
    this.fills.push({ label: measured.label, gflop: flop / 1e9, floor_ms: floor, measured_ms: measured.median_ms, over_floor: measured.median_ms / floor });
    return floor;
  }
}
