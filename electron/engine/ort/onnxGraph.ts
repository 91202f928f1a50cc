/**
 * What the engine and the bench read from ONNX files themselves, without creating a session: a graph's
 * signature (inputs and outputs with dtype and shape: a pack is checked against its manifest at load while
 * its sessions are created later, when a method first needs them), the equations of its Einsum nodes (their
 * FLOPs depend on them and the profiler does not record them), and a one-MatMul model to measure the
 * machine's peak. Field numbers from onnx/onnx.proto: ModelProto.graph = 7, opset_import = 8;
 * GraphProto.node = 1, input = 11, output = 12, initializer = 5; NodeProto.name = 3, op_type = 4,
 * attribute = 5; AttributeProto.name = 1, s = 4; ValueInfoProto.name = 1, type = 2;
 * TypeProto.tensor_type = 1; Tensor.elem_type = 1, shape = 2; TensorShapeProto.dim = 1;
 * Dimension.dim_value = 1, dim_param = 2.
 */
import { message, readFields, type Field } from './protobuf.js';

const decoder = new TextDecoder();
const text = (f: Field | undefined) => (f?.bytes ? decoder.decode(f.bytes) : '');
const first = (fields: Field[], n: number) => fields.find((f) => f.field === n);

/** onnx TensorProto.DataType -> onnxruntime's dtype names. */
const DTYPES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };

/** A graph input or output as onnxruntime's `ValueMetadata` describes a tensor (symbolic dims as names). */
export interface TensorInfo {
  name: string;
  isTensor: boolean;
  type: string;
  shape: (number | string)[];
}

function graphOf(model: Uint8Array): Field[] {
  const graph = first(readFields(model), 7);
  if (!graph?.bytes) throw new Error('not an ONNX model: it has no graph');
  return readFields(graph.bytes);
}

function tensorInfo(bytes: Uint8Array): TensorInfo {
  const v = readFields(bytes);
  const name = text(first(v, 1));
  const tensor = first(readFields(first(v, 2)?.bytes ?? new Uint8Array()), 1);
  if (!tensor?.bytes) return { name, isTensor: false, type: '', shape: [] };
  const t = readFields(tensor.bytes);
  const shape = first(t, 2)?.bytes;
  const dims = shape ? readFields(shape).filter((d) => d.field === 1 && d.bytes).map((d) => readFields(d.bytes!)) : [];
  return {
    name,
    isTensor: true,
    type: DTYPES[first(t, 1)?.value ?? 0] ?? `onnx type ${first(t, 1)?.value ?? 0}`,
    shape: dims.map((d) => (first(d, 1) ? first(d, 1)!.value : text(first(d, 2)))),
  };
}

/** The graph's inputs (initializers excluded) and outputs. Throws on a file that is not an ONNX model. */
export function graphSignature(model: Uint8Array): { inputs: TensorInfo[]; outputs: TensorInfo[] } {
  const g = graphOf(model);
  const initializers = new Set(g.filter((f) => f.field === 5 && f.bytes).map((f) => text(first(readFields(f.bytes!), 8))));
  const infos = (n: number) => g.filter((f) => f.field === n && f.bytes).map((f) => tensorInfo(f.bytes!));
  return { inputs: infos(11).filter((t) => !initializers.has(t.name)), outputs: infos(12) };
}

/** Node name -> equation, for every Einsum node of the model's main graph. */
export function einsumEquations(model: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of graphOf(model)) {
    if (n.field !== 1 || !n.bytes) continue;
    const fields = readFields(n.bytes);
    if (text(first(fields, 4)) !== 'Einsum') continue;
    for (const a of fields.filter((f) => f.field === 5 && f.bytes)) {
      const attr = readFields(a.bytes!);
      if (text(first(attr, 1)) === 'equation') out.set(text(first(fields, 3)), text(first(attr, 4)));
    }
  }
  return out;
}

function valueInfo(name: string, dims: number[]): Uint8Array {
  const shape = message(dims.map((d) => [1, message([[1, d]])] as [number, Uint8Array]));
  return message([[1, name], [2, message([[1, message([[1, 1], [2, shape]])]])]]); // elem_type 1: float
}

/** A model computing C = A B for float A [n, n], B [n, n] (opset 13). */
export function matmulModel(n: number): Uint8Array {
  const node = message([[1, 'A'], [1, 'B'], [2, 'C'], [3, 'matmul'], [4, 'MatMul']]);
  const graph = message([[1, node], [2, 'peak'], [11, valueInfo('A', [n, n])], [11, valueInfo('B', [n, n])], [12, valueInfo('C', [n, n])]]);
  return message([[1, 8], [8, message([[1, ''], [2, 13]])], [7, graph]]);
}
