/** The original photo shown in the editor over its applied results: held (O or the button), or wiped. */
export class BeforeAfterState {
  /** O or the Original button is held: the whole photo as it was. */
  holding = $state(false);
  /** The Wipe slider: the original left of this fraction of the photo's width; 0 is off. */
  wipe = $state(0);

  active = $derived(this.holding || this.wipe > 0);

  setWipe(v: number): void {
    this.wipe = Math.min(1, Math.max(0, v));
  }

  reset(): void {
    this.holding = false;
    this.wipe = 0;
  }
}
