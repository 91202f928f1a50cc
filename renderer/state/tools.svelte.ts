export type Tool = 'brush' | 'eraser' | 'rect' | 'lasso' | 'pan';

/**
 * Largest brush for a photo: 400 px, or a quarter of the photo's short side when that is more (at the zoom
 * that fits an 8000 px photo on screen, a 400 px brush is a few screen pixels wide). The short side: on a
 * long panorama a quarter of its length would be a brush taller than the photo.
 */
export function maxBrushSize(width: number, height: number): number {
  return Math.max(400, Math.round(Math.min(width, height) / 4));
}

/** Where the brush's screen-size choice is kept (SettingsState: stored with the editor's preferences). */
export interface BrushPreference {
  readonly values: { brushScreenSized: boolean };
  update(patch: { brushScreenSized: boolean }): void;
}

/** The mask tool in hand and its settings. */
export class ToolState {
  tool = $state<Tool>('brush');
  /** Brush diameter in image pixels. */
  size = $state(40);
  /** 1 = hard edge, 0 = fully feathered. */
  hardness = $state(0.8);
  /** Space held: drag pans whatever the tool. */
  spaceHeld = $state(false);

  /** Largest size allowed now (maxBrushSize of the open photo). */
  maxSize = $state(400);
  private readonly pref: BrushPreference;
  constructor(pref: BrushPreference) {
    this.pref = pref;
  }
  /** `size` counts screen pixels: the brush covers as much of the screen at any zoom. */
  get screenSized(): boolean {
    return this.pref.values.brushScreenSized;
  }
  set screenSized(on: boolean) {
    this.pref.update({ brushScreenSized: on });
  }

  /** The brush diameter in photo pixels at `zoom` (screen pixels per photo pixel). */
  diameter(zoom: number): number {
    return this.screenSized ? Math.min(this.maxSize, this.size / zoom) : this.size;
  }

  setSize(v: number): void {
    this.size = Math.round(Math.min(this.maxSize, Math.max(1, v)));
  }
  /** `[` and `]`: steps proportional to the size, as in most painting programs. */
  grow(): void {
    this.setSize(this.size + Math.max(1, Math.round(this.size * 0.15)));
  }
  shrink(): void {
    this.setSize(this.size - Math.max(1, Math.round(this.size * 0.15)));
  }
  setHardness(v: number): void {
    this.hardness = Math.min(1, Math.max(0, v));
  }
}
