import { describe, expect, it } from 'vitest';
import { handleKey, SHORTCUTS, TOOL_KEYS } from '../../renderer/lib/keys';
import { rovingIndex } from '../../renderer/lib/roving';
import type { AppState } from '../../renderer/state/app.svelte';

/** Just what handleKey touches. */
function fakeApp() {
  return {
    tools: { tool: 'brush', spaceHeld: false, shrink() {}, grow() {} },
    shortcutsOpen: false,
    compare: { open: false },
    hasApplied: true,
    beforeAfter: { holding: false },
  } as unknown as AppState;
}
const key = (k: string, target: object | null) => ({ key: k, target, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false }) as unknown as KeyboardEvent;

describe('keyboard', () => {
  it('moves a radio group choice with arrow keys, wrapping, Home and End', () => {
    expect(rovingIndex('ArrowRight', 4, 5)).toBe(0);
    expect(rovingIndex('ArrowLeft', 0, 5)).toBe(4);
    expect(rovingIndex('ArrowDown', 1, 5)).toBe(2);
    expect(rovingIndex('Home', 3, 5)).toBe(0);
    expect(rovingIndex('End', 0, 5)).toBe(4);
    expect(rovingIndex('a', 0, 5)).toBeNull();
  });

  it('takes a letter typed in a number field as a shortcut, and leaves digits to the field', () => {
    const app = fakeApp();
    const numberField = { tagName: 'INPUT', type: 'number' };
    expect(handleKey(app, key('r', numberField), true)).toBe(true);
    expect(app.tools.tool).toBe('rect');
    expect(handleKey(app, key('?', numberField), true)).toBe(true);
    expect(app.shortcutsOpen).toBe(true);
    expect(handleKey(app, key('5', numberField), true)).toBe(false);
    expect(handleKey(app, key('-', numberField), true)).toBe(false);
    // a text field keeps every letter
    expect(handleKey(app, key('e', { tagName: 'INPUT', type: 'text' }), true)).toBe(false);
    expect(app.tools.tool).toBe('rect');
  });

  it('pans on Space only with the focus on the photo or on nothing, and ends panning wherever Space is released', () => {
    const app = fakeApp();
    for (const t of [{ tagName: 'INPUT', type: 'range', dataset: {} }, { tagName: 'BUTTON', dataset: {} }, { tagName: 'DIV', dataset: {} }]) {
      expect(handleKey(app, key(' ', t), true)).toBe(false);
      expect(app.tools.spaceHeld).toBe(false);
    }
    const canvas = { tagName: 'DIV', dataset: { spacePans: '' } };
    expect(handleKey(app, key(' ', canvas), true)).toBe(true);
    expect(app.tools.spaceHeld).toBe(true);
    expect(handleKey(app, key(' ', { tagName: 'BUTTON', dataset: {} }), false)).toBe(true);
    expect(app.tools.spaceHeld).toBe(false);
    expect(handleKey(app, key(' ', { tagName: 'BODY', dataset: {} }), true)).toBe(true);
    expect(handleKey(app, key(' ', null), false)).toBe(true);
    expect(handleKey(app, key(' ', null), false)).toBe(false); // not held: the key is the focused control's
  });

  it('shows the original while O is held, only with an applied result, and not from a text field', () => {
    const app = fakeApp();
    const body = { tagName: 'BODY', dataset: {} };
    expect(handleKey(app, key('o', { tagName: 'INPUT', type: 'text' }), true)).toBe(false);
    expect(app.beforeAfter.holding).toBe(false);
    expect(handleKey(app, key('o', body), true)).toBe(true);
    expect(app.beforeAfter.holding).toBe(true);
    expect(handleKey(app, key('o', body), false)).toBe(true);
    expect(app.beforeAfter.holding).toBe(false);
    (app as { hasApplied: boolean }).hasApplied = false;
    expect(handleKey(app, key('o', body), true)).toBe(false);
    expect(app.beforeAfter.holding).toBe(false);
  });

  it('lists every tool letter in the shortcuts sheet', () => {
    const listed = SHORTCUTS.flatMap((g) => g.items.map(([k]) => k));
    for (const k of Object.keys(TOOL_KEYS)) expect(listed).toContain(k.toUpperCase());
  });
});
