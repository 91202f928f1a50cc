/** The recent-files list, kept in the user data folder as JSON. */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';

export class RecentFiles {
  private items: string[];
  private readonly file: string;
  private readonly max: number;

  /** Called after every change (main rebuilds the Open Recent menu). */
  onChange: (list: string[]) => void = () => undefined;

  constructor(file: string, max = 10) {
    this.file = file;
    this.max = max;
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      this.items = Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string').slice(0, max) : [];
    } catch {
      this.items = [];
    }
  }

  list(): string[] {
    return [...this.items];
  }

  async add(path: string): Promise<void> {
    this.items = [path, ...this.items.filter((p) => p !== path)].slice(0, this.max);
    this.onChange(this.list());
    await writeFile(this.file, JSON.stringify(this.items, null, 2)).catch(() => undefined);
  }
}
