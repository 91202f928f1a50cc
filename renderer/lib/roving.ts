/**
 * Roving focus in a group of radio buttons (WAI-ARIA radio group): the group is one Tab stop (the checked
 * button has tabindex 0, the others -1) and arrow keys move the choice, wrapping round; Home and End go
 * to the first and last.
 */
export function rovingIndex(key: string, index: number, count: number): number | null {
  if (count <= 0) return null;
  switch (key) {
    case 'ArrowRight':
    case 'ArrowDown':
      return (index + 1) % count;
    case 'ArrowLeft':
    case 'ArrowUp':
      return (index - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/**
 * Keydown handler for a radio group: picks the choice the key leads to and moves the focus onto its
 * button (found by `[role="radio"]` in the group, in order).
 */
export function rovingKeydown<T>(choices: readonly T[], current: T, pick: (choice: T) => void) {
  return (e: KeyboardEvent & { currentTarget: HTMLElement }) => {
    const next = rovingIndex(e.key, Math.max(0, choices.indexOf(current)), choices.length);
    if (next === null) return;
    e.preventDefault();
    pick(choices[next]!);
    e.currentTarget.querySelectorAll<HTMLElement>('[role="radio"]')[next]?.focus();
  };
}
