// Run one ONNX model in onnxruntime-node (the engine's runtime) on inputs from a JSON file.
//   node models/training/ort_run.mjs MODEL.onnx IN.json OUT.json
// IN.json:  { "<input name>": { "dtype": "float32" | "int64", "dims": [..], "data": [flat numbers] }, ... }
// OUT.json: same layout, one entry per model output (int64 written as numbers).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(resolve(dirname(fileURLToPath(import.meta.url)), '../../package.json'));
const ort = require('onnxruntime-node');

const [model, inPath, outPath] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(inPath, 'utf8'));
const feeds = {};
for (const [name, t] of Object.entries(spec)) {
  const data = t.dtype === 'int64' ? BigInt64Array.from(t.data.map((v) => BigInt(v))) : Float32Array.from(t.data);
  feeds[name] = new ort.Tensor(t.dtype, data, t.dims);
}
const session = await ort.InferenceSession.create(model);
const res = await session.run(feeds);
const out = {};
for (const [name, t] of Object.entries(res)) {
  out[name] = { dtype: t.type, dims: t.dims, data: Array.from(t.data, (v) => Number(v)) };
}
writeFileSync(outPath, JSON.stringify(out));
