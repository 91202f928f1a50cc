/** The `vqddm` command line: inpaint, batch, info, bench. Errors are one line on stderr and a non-zero exit. */
import { ApiError } from '../shared/contract.js';
import { benchCommand } from './bench/command.js';
import { BATCH_USAGE, batchCommand } from './batch/command.js';
import { INPAINT_USAGE, inpaintCommand } from './inpaint.js';
import { infoCommand } from './info.js';

const USAGE = `usage: vqddm <command> [options]

${INPAINT_USAGE}

${BATCH_USAGE}

vqddm info [--pack DIR] [--device auto|cpu|cuda|dml|coreml] [--json]
                                       check a model pack, print its manifest and the provider it runs on
vqddm bench [--pack DIR] [--quick] [--batch] [--provider auto|cpu|cuda|dml|coreml]
                                       benchmark; writes bench/results.json and docs/BENCHMARKS.md;
                                       --batch adds batch items per minute (pipelined against one item
                                       at a time) and memory over a 200-item run (small masks)`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'inpaint') return inpaintCommand(rest);
  if (command === 'batch') return batchCommand(rest);
  if (command === 'info') return infoCommand(rest);
  if (command === 'bench') return benchCommand(rest);
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  throw new ApiError('BAD_SETTINGS', `unknown command "${command}" (inpaint, batch, info, bench)`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  process.stderr.write(`vqddm: error: ${message}\n`);
  // 2: the input was wrong (ApiError or bad option); 1: anything else.
  const usage = err instanceof ApiError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.exitCode = usage ? 2 : 1;
  // With --json, whoever parses stdout gets the error as JSON too.
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: { code: err instanceof ApiError ? err.code : usage ? 'BAD_SETTINGS' : 'ENGINE_FAILURE', message } })}\n`);
});
