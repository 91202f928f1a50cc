import type { AppState } from '../state/app.svelte';

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  // Sliders, checkboxes and buttons keep the shortcuts; fields that take text do not.
  if (el.tagName === 'INPUT') return !['range', 'checkbox', 'radio', 'button', 'submit', 'file'].includes((el as HTMLInputElement).type);
  return el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

/** Controls that Space presses or toggles: a focused one keeps its Space (it does not pan). */
function pressable(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  if (el.tagName === 'INPUT') return ['checkbox', 'radio', 'button', 'submit', 'reset', 'file'].includes((el as HTMLInputElement).type);
  return ['BUTTON', 'A', 'SUMMARY'].includes(el.tagName) || el.getAttribute('role') === 'option' || el.getAttribute('role') === 'radio';
}

/** Global shortcuts. Returns true when the key was handled. */
export function handleKey(app: AppState, e: KeyboardEvent, down: boolean): boolean {
  if (e.key === ' ' && !typing(e.target)) {
    // The browser presses a focused control on Space's release: leave both halves of the key to it.
    if (pressable(e.target)) {
      if (!down) app.tools.spaceHeld = false;
      return false;
    }
    app.tools.spaceHeld = down;
    return true;
  }
  if (!down) return false;
  const mod = e.ctrlKey || e.metaKey;
  const k = e.key.toLowerCase();
  if (mod && k === 'enter') void app.fill();
  else if (mod && k === 'z' && e.shiftKey) app.redo();
  else if (mod && k === 'z') app.undo();
  else if (mod && k === 'y') app.redo();
  else if (mod && k === 's') void app.save(app.settings.values.saveFormat, e.shiftKey || !app.doc.path);
  else if (mod && k === 'o') void app.openDialog();
  else if (mod || typing(e.target)) return false;
  else if (e.key === '[') app.tools.shrink();
  else if (e.key === ']') app.tools.grow();
  else if (k === 'b') app.tools.tool = 'brush';
  else if (k === 'e') app.tools.tool = 'eraser';
  else if (k === 'r') app.tools.tool = 'rect';
  else if (k === 'l') app.tools.tool = 'lasso';
  else if (k === 'h') app.tools.tool = 'pan';
  else if (e.key === 'Escape' && app.compare.open) app.compare.close();
  else return false;
  return true;
}
