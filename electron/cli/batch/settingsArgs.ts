/**
 * The batch's sampling options, read from the one settings schema (`electron/shared/settings.ts`): every
 * numeric setting is `--<flag> N`, every stage `--<flag>` flipping its default. Nothing here names a
 * setting, so a setting added to the schema is a batch option at once.
 */
import { DEFAULT_SETTINGS, defaultText, NUMBER_FIELDS, STAGE_FIELDS, settingsProblem, type FillSettings, type NumberField, type NumberSetting, type PackSetting, type StageSetting } from '../../shared/settings.js';
import { intOption, numberOption, usageError } from '../args.js';

/** parseArgs entries for the settings' flags. */
export function settingsOptionSpec(): Record<string, { type: 'string' | 'boolean' }> {
  return {
    ...Object.fromEntries(Object.values(NUMBER_FIELDS).map((f) => [f.flag, { type: 'string' as const }])),
    ...Object.fromEntries(Object.values(STAGE_FIELDS).map((f) => [f.flag, { type: 'boolean' as const }])),
  };
}

/** The settings' lines of a usage text. */
export function settingsUsage(notes: Partial<Record<NumberSetting, string>> = {}): string {
  const line = (flag: string, help: string) => `  ${flag.padEnd(21)}${help}`;
  const numbers = (Object.entries(NUMBER_FIELDS) as [NumberSetting, (typeof NUMBER_FIELDS)[NumberSetting]][]).map(([name, f]) =>
    line(`--${f.flag} ${f.integer ? 'N' : 'X'}`, notes[name] ?? `${f.help} (${f.min}..${f.max}, ${defaultText(f)})`),
  );
  const stages = Object.values(STAGE_FIELDS).map((f) => line(`--${f.flag}`, `${f.default ? 'skip' : 'add'}: ${f.help}`));
  return [...numbers, ...stages].join('\n');
}

/** Every fill setting but the methods; those a pack states (`PackSetting`) absent when not given. */
export type GivenSettings = Omit<FillSettings, 'methods' | PackSetting> & Partial<Pick<FillSettings, PackSetting>>;

/**
 * The fill settings the options give, every other one at its default; the settings a pack states are left
 * out when not given (the pack's defaults fill them in). Each value is checked against the schema's range
 * here, before any work, and the error names the option.
 */
export function settingsFromOptions(values: Record<string, unknown>): GivenSettings {
  const out: Record<string, number | boolean> = {};
  for (const [name, f] of Object.entries(NUMBER_FIELDS) as [NumberSetting, (typeof NUMBER_FIELDS)[NumberSetting]][]) {
    const text = values[f.flag];
    if (typeof text !== 'string') {
      if (!(f as NumberField).fromPack) out[name] = f.default;
      continue;
    }
    out[name] = f.integer ? intOption(text, f.flag, f.default) : numberOption(text, f.flag, f.default);
  }
  for (const [name, f] of Object.entries(STAGE_FIELDS) as [StageSetting, (typeof STAGE_FIELDS)[StageSetting]][]) {
    out[name] = values[f.flag] === true ? !f.default : f.default;
  }
  // The schema's own ranges (steps up to the schema's maximum; the pack's T is checked once it is loaded).
  const problem = settingsProblem({ ...DEFAULT_SETTINGS, ...out }, NUMBER_FIELDS.steps.max);
  if (problem) throw usageError(`--${problem}`);
  return out as GivenSettings;
}

/** `steps` against the loaded pack's T, named as the option. */
export function checkAgainstPack(settings: FillSettings, T: number): void {
  const problem = settingsProblem(settings, T);
  if (problem) throw usageError(`--${problem}`);
}

/** `--steps -1` as `--steps=-1`: parseArgs would take a negative number for an option of its own. */
export function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--') && !argv[i].includes('=') && /^-\d/.test(argv[i + 1] ?? '')) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}
