/**
 * The host channels' argument schemas, one per channel (the page's calls to main that are not engine
 * operations: dialogs, files, the shell). `handle` (result.ts) checks a call's arguments against its
 * channel's schema before any work; a call that does not fit is answered BAD_REQUEST naming the argument
 * and the problem, and nothing runs. Engine operations are checked in the engine process against the
 * operation table (shared/operations.ts), not here.
 */
import * as v from 'valibot';
import { HOST_CHANNELS } from '../../shared/host.js';

const MAX_PATH = 4096;
const absolutePath = v.pipe(
  v.string('a path must be a string'),
  v.minLength(1, 'a path may not be empty'),
  v.maxLength(MAX_PATH, `a path may be at most ${MAX_PATH} characters`),
  v.check((p) => !p.includes('\0'), 'a path may not hold a NUL character'),
  v.check((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'), 'a path must be absolute'),
);
/** A file name the page suggests for a save dialog: no folder, no NUL. */
const fileName = v.pipe(v.string('a file name must be a string'), v.minLength(1, 'a file name may not be empty'), v.maxLength(255, 'a file name may be at most 255 characters'), v.regex(/^[^/\\\0]+$/, 'a file name may not name a folder or hold a NUL character'));
const extension = v.pipe(v.string(), v.regex(/^[a-z0-9]{1,8}$/, 'an extension is 1-8 lower-case letters or digits'));
/** The largest file Save writes: as `decodeImage`'s limit. */
export const MAX_SAVE_BYTES = 512 * 1024 * 1024;
const bytes = v.pipe(
  v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'expected bytes (Uint8Array)'),
  v.check((b) => b.length > 0, 'the file may not be empty'),
  v.check((b) => b.length <= MAX_SAVE_BYTES, `a file may be at most ${MAX_SAVE_BYTES / 1024 / 1024} MiB`),
);

const TOO_MANY = 'one argument too many';
const FIELDS = 'expected an object with only its known fields';
const none = v.strictTuple([], 'this call takes no arguments');

export const HOST_SCHEMAS = {
  [HOST_CHANNELS.openImage]: none,
  [HOST_CHANNELS.listRecent]: none,
  [HOST_CHANNELS.openRecent]: v.strictTuple([absolutePath], TOO_MANY),
  [HOST_CHANNELS.addRecent]: v.strictTuple([v.strictObject({ name: fileName, path: v.optional(absolutePath) }, FIELDS)], TOO_MANY),
  [HOST_CHANNELS.save]: v.strictTuple([
    v.strictObject({
      suggestedName: fileName,
      bytes,
      path: v.optional(absolutePath),
      filter: v.strictObject({ name: v.pipe(v.string(), v.minLength(1), v.maxLength(100)), extensions: v.pipe(v.array(extension), v.minLength(1, 'at least one extension'), v.maxLength(8, 'at most 8 extensions')) }, FIELDS),
    }, FIELDS),
  ], TOO_MANY),
  [HOST_CHANNELS.choosePack]: none,
  [HOST_CHANNELS.chooseBatchPath]: v.strictTuple([
    v.strictObject({ title: v.pipe(v.string('the title must be a string'), v.maxLength(200, 'the title may be at most 200 characters')), kind: v.picklist(['folder', 'file'], 'kind must be "folder" or "file"') }, FIELDS),
  ], TOO_MANY),
  [HOST_CHANNELS.openBatchFolder]: v.strictTuple([absolutePath], TOO_MANY),
} as const satisfies Record<string, v.GenericSchema<unknown[]>>;

export type HostChannel = keyof typeof HOST_SCHEMAS;
export type HostArgs<C extends HostChannel> = v.InferOutput<(typeof HOST_SCHEMAS)[C]>;

/** `args` checked against `channel`'s schema, or the problem, naming the argument. */
export function checkHostArgs<C extends HostChannel>(channel: C, args: unknown[]): { ok: true; args: HostArgs<C> } | { ok: false; message: string } {
  const r = v.safeParse(HOST_SCHEMAS[channel], args);
  if (r.success) return { ok: true, args: r.output as HostArgs<C> };
  const issue = r.issues[0];
  const path = (issue.path ?? []).map((p) => String(p.key)).join('.');
  return { ok: false, message: `${channel}: ${path ? `argument ${path}` : 'arguments'}: ${issue.message}` };
}
