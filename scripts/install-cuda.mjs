// Installs onnxruntime-node's CUDA 12 execution provider. onnxruntime-node bundles the CPU provider (and
// DirectML on Windows, CoreML on macOS) but fetches the CUDA one only when its install script is asked to;
// this project's .npmrc tells that script to skip (installs must work offline), so a Linux or Windows
// machine with an NVIDIA card runs on the CPU until this is run once:
//
//   npm run install:cuda        # needs the internet, CUDA 12 and cuDNN 9 on the machine
//
// The engine then tries CUDA first (`--device auto`) and says in `vqddm info`, the app's settings panel
// and the bench why it is not in use when it cannot be (library missing, no device, load error).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
const result = spawnSync(process.execPath, [join(pkg, 'script', 'install.js')], {
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' }, // read before npm's config (.npmrc's skip)
});
if (result.status !== 0) {
  console.error('\ninstall:cuda: onnxruntime-node could not fetch its CUDA provider (above: why). It needs the internet;');
  console.error('the app keeps running on the CPU provider meanwhile.');
}
process.exit(result.status ?? 1);
