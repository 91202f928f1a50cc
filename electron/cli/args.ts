/** Strict option parsing for the CLI: every bad value is a one-line error naming the option. */
import { ApiError } from '../shared/contract.js';

export function usageError(message: string): ApiError {
  return new ApiError('BAD_SETTINGS', message);
}

export function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value.trim())) throw usageError(`--${name} must be an integer, got "${value}"`);
  return Number(value);
}

export function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw usageError(`--${name} must be a number, got "${value}"`);
  return n;
}

export function requiredOption(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw usageError(`--${name} is required`);
  return value;
}
