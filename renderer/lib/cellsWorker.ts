/** The Cells overlay's worker (lib/cells.ts CellsComputer): a preview mask in, its latent cells out. */
import { cellsOf, type CellsReply, type CellsRequest } from './cells';

// The page's DOM typings are the project's: the worker's own global is typed here by what it uses.
const scope = self as unknown as { onmessage: ((e: MessageEvent<CellsRequest>) => void) | null; postMessage(m: CellsReply, transfer: Transferable[]): void };

scope.onmessage = (e) => {
  const { id, bitmap, previewScale, pack } = e.data;
  try {
    const cells = cellsOf(bitmap, previewScale, pack);
    scope.postMessage({ id, cells }, cells.map((c) => c.cells.buffer as ArrayBuffer));
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) }, []);
  } finally {
    bitmap.close();
  }
};
