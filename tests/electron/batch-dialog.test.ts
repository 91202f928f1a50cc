/**
 * The Batch view's folder dialog on the desktop, through the main bundle with the stand-in `electron`
 * module (as main-process.test.ts): the host operation's handler, its check of the request and of the
 * sender, the dialog's answer, and the preload's function for it.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeApi } from '../../electron/shared/host.js';
import { ROOT } from '../e2e/harness.js';
import { loadMain } from './fake-main.js';

type Handler = (e: { senderFrame: { url: string } }, ...args: unknown[]) => Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>;
interface Fake {
  __records: { handlers: Record<string, Handler>; loaded: string[]; forks: { child: { kill(): void } }[]; exposed: { api?: BridgeApi } };
  dialog: { showOpenDialog: (...a: unknown[]) => Promise<{ canceled: boolean; filePaths: string[] }> };
  shell: { openPath?: (path: string) => Promise<string> };
}

const require = createRequire(import.meta.url);

describe('Batch folder dialog (desktop host operation)', () => {
  let fake: Fake;
  let trusted: { senderFrame: { url: string } };
  let restore: () => void;

  beforeAll(async () => {
    ({ fake, restore } = loadMain<Fake>());
    await new Promise((r) => setTimeout(r, 100));
    const page = fake.__records.loaded[0]!;
    trusted = { senderFrame: { url: /^[a-z]+:\/\//.test(page) ? page : pathToFileURL(page).href } };
  });
  afterAll(() => {
    for (const f of fake?.__records.forks ?? []) f.child.kill();
    restore?.();
  });

  it('shows a folder or file dialog and answers with the path chosen, or null', async () => {
    const handler = fake.__records.handlers['dialog:chooseBatchPath']!;
    expect(handler).toBeTypeOf('function');
    const asked: unknown[] = [];
    fake.dialog.showOpenDialog = async (...a) => {
      asked.push(a.at(-1));
      return { canceled: false, filePaths: ['/photos/shoot'] };
    };
    expect(await handler(trusted, { title: 'Choose the photos folder', kind: 'folder' })).toEqual({ ok: true, value: '/photos/shoot' });
    expect(asked[0]).toMatchObject({ title: 'Choose the photos folder', properties: ['openDirectory', 'createDirectory'] });
    await handler(trusted, { title: 'Choose the mask', kind: 'file' });
    expect(asked[1]).toMatchObject({ properties: ['openFile'], filters: [{ name: 'Images' }] });
    fake.dialog.showOpenDialog = async () => ({ canceled: true, filePaths: [] });
    expect(await handler(trusted, { title: 'x', kind: 'folder' })).toEqual({ ok: true, value: null });
  });

  it('refuses a malformed request and any sender but the app page', async () => {
    const handler = fake.__records.handlers['dialog:chooseBatchPath']!;
    expect(await handler(trusted, { title: 5, kind: 'folder' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await handler(trusted, { title: 'x', kind: 'anything' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await handler({ senderFrame: { url: 'https://evil.example/' } }, { title: 'x', kind: 'folder' })).toMatchObject({ ok: false });
  });

  it('shows an output folder in the file manager, and only a folder', async () => {
    const handler = fake.__records.handlers['shell:openBatchFolder']!;
    const opened: string[] = [];
    fake.shell.openPath = async (p) => (opened.push(p), '');
    expect(await handler(trusted, ROOT)).toEqual({ ok: true, value: true });
    expect(opened).toEqual([ROOT]);
    expect(await handler(trusted, join(ROOT, 'package.json'))).toMatchObject({ ok: false, error: { code: 'IO_ERROR' } });
    expect(await handler(trusted, 'relative/folder')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await handler({ senderFrame: { url: 'https://evil.example/' } }, ROOT)).toMatchObject({ ok: false });
    expect(opened).toEqual([ROOT]);
  });

  it('the preload exposes them as host.chooseBatchPath and host.openBatchFolder', async () => {
    (globalThis as { window?: unknown }).window = { postMessage: () => undefined };
    require(join(ROOT, 'out', 'preload', 'index.cjs'));
    const bridge = fake.__records.exposed.api!;
    expect(bridge.host.chooseBatchPath).toBeTypeOf('function');
    expect(bridge.host.openBatchFolder).toBeTypeOf('function');
  });
});
