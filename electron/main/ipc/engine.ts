/** IPC for the engine domain: each channel forwards to the engine utility process. */
import type { BrowserWindow } from 'electron';
import { CHANNELS, type FillRequest, type ImageFormat, type RgbaImage } from '../../shared/contract.js';
import { SERVE_OPS } from '../../shared/serveProtocol.js';
import type { EngineBridge } from '../engineBridge.js';
import { handle } from './result.js';

export function registerEngineIpc(engine: EngineBridge, rendererUrl: string, window: () => BrowserWindow | null): void {
  handle(CHANNELS.engineInfo, rendererUrl, () => engine.call(SERVE_OPS.info, []));
  handle(CHANNELS.engineDecode, rendererUrl, (bytes: Uint8Array) => engine.call(SERVE_OPS.decodeImage, [bytes]));
  handle(CHANNELS.engineEncode, rendererUrl, (image: RgbaImage, format: ImageFormat, quality: number) =>
    engine.call(SERVE_OPS.encodeImage, [image, format, quality]),
  );
  handle(CHANNELS.engineFill, rendererUrl, (request: FillRequest) => engine.call(SERVE_OPS.fill, [request]));
  handle(CHANNELS.engineCancel, rendererUrl, (jobId: string) => engine.call(SERVE_OPS.cancel, [jobId]));
  handle(CHANNELS.engineLoadPack, rendererUrl, (dir: string) => engine.call(SERVE_OPS.loadPack, [dir]));
  engine.onJobEvent((event) => window()?.webContents.send(CHANNELS.engineEvent, event));
}
