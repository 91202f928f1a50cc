import type { AppState } from '../state/app.svelte';
import type { Tool } from '../state/tools.svelte';

/** The tool shortcut letters (lower case). */
export const TOOL_KEYS: Record<string, Tool> = { b: 'brush', e: 'eraser', r: 'rect', l: 'lasso', h: 'pan' };
/** Held, shows the original photo under its applied results. */
export const HOLD_ORIGINAL_KEY = 'o';

/** Every shortcut, for the sheet `?` opens (ShortcutsSheet.svelte); grouped as shown. */
export const SHORTCUTS: { group: string; items: [keys: string, action: string][] }[] = [
  {
    group: 'Tools',
    items: [
      ['B', 'Brush'],
      ['E', 'Eraser'],
      ['R', 'Rectangle'],
      ['L', 'Lasso'],
      ['H', 'Pan'],
      ['[ and ]', 'Smaller / larger brush'],
      ['Alt + drag', 'Rectangle or lasso subtracts from the mask'],
      ['Arrow keys', 'Next / previous tool, when a tool button has the focus'],
    ],
  },
  {
    group: 'View',
    items: [
      ['Space + drag', 'Pan, when the photo has the focus (middle mouse button anywhere)'],
      ['Mouse wheel', 'Zoom around the pointer'],
      ['O (hold)', 'The original photo, under the applied results'],
    ],
  },
  {
    group: 'Edit and fill',
    items: [
      ['Ctrl+Z', 'Undo'],
      ['Ctrl+Shift+Z, Ctrl+Y', 'Redo'],
      ['Ctrl+Enter', 'Fill'],
      ['Escape', 'Close the comparison, a popover or a dialog'],
    ],
  },
  {
    group: 'Results history (under the photo)',
    items: [
      ['Arrow keys, Home, End', 'Move among the results, when one has the focus'],
      ['Enter, double-click', 'Apply the result'],
      ['Space, Ctrl+click', 'Pick it too, or unpick it (for Compare and Export as sheet)'],
      ['Delete', 'Dismiss the result'],
    ],
  },
  {
    group: 'File',
    items: [
      ['Ctrl+O', 'Open'],
      ['Ctrl+V', 'Open the image on the clipboard'],
      ['Ctrl+S', 'Save'],
      ['Ctrl+Shift+S', 'Save as'],
    ],
  },
  { group: 'Help', items: [['?', 'This list']] },
];

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  // Sliders, checkboxes and buttons keep the shortcuts; fields that take text do not.
  if (el.tagName === 'INPUT') return !['range', 'checkbox', 'radio', 'button', 'submit', 'file'].includes((el as HTMLInputElement).type);
  return el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

/**
 * A number field takes digits, signs and a decimal point only: a letter (or `?`, `[`, `]`) typed there is
 * a shortcut. Otherwise Chromium blanks the field on screen (its value invalid) while the setting keeps
 * its value, as happens when a tool letter is pressed right after Tab moved the focus into the next field.
 */
function shortcutInNumberField(e: KeyboardEvent): boolean {
  const el = e.target as HTMLInputElement | null;
  return el?.tagName === 'INPUT' && el.type === 'number' && /^[a-zA-Z?[\]]$/.test(e.key);
}

/**
 * Space pans while the photo (the canvas, one Tab stop; a press on it gives it the focus) has the focus,
 * or nothing has (the page itself, before any click). Anywhere else the key is the focused control's:
 * buttons and checkboxes are pressed with it, sliders and lists keep it.
 */
function spacePans(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !el || el.tagName === 'BODY' || el.dataset?.spacePans !== undefined;
}

/** Global shortcuts. Returns true when the key was handled. */
export function handleKey(app: AppState, e: KeyboardEvent, down: boolean): boolean {
  if (e.key === ' ') {
    // Released wherever the focus went meanwhile: panning ends.
    if (!down) {
      const held = app.tools.spaceHeld;
      app.tools.spaceHeld = false;
      return held;
    }
    if (!spacePans(e.target)) return false;
    app.tools.spaceHeld = true;
    return true;
  }
  const mod = e.ctrlKey || e.metaKey;
  const k = e.key.toLowerCase();
  if (k === HOLD_ORIGINAL_KEY && !down) {
    const held = app.beforeAfter.holding;
    app.beforeAfter.holding = false;
    return held;
  }
  if (!down) return false;
  if (mod && k === 'enter') void app.fill();
  else if (mod && k === 'z' && e.shiftKey) app.redo();
  else if (mod && k === 'z') app.undo();
  else if (mod && k === 'y') app.redo();
  else if (mod && k === 's') void app.save(app.doc.saveFormat, e.shiftKey || !app.doc.path);
  else if (mod && k === 'o') void app.openDialog();
  else if (mod || (typing(e.target) && !shortcutInNumberField(e))) return false;
  else if (e.key === '[') app.tools.shrink();
  else if (e.key === ']') app.tools.grow();
  else if (e.key === '?') app.shortcutsOpen = true;
  else if (TOOL_KEYS[k]) app.tools.tool = TOOL_KEYS[k];
  else if (k === HOLD_ORIGINAL_KEY && app.hasApplied) app.beforeAfter.holding = true;
  else if (e.key === 'Escape' && app.compare.open) app.compare.close();
  else return false;
  return true;
}
