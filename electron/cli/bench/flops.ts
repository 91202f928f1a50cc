/**
 * FLOPs of graph runs, counted from onnxruntime's profile of those runs: every kernel event names its op and
 * the shapes of its inputs, so the count covers the graph as onnxruntime actually ran it (after fusions,
 * with the real sizes of dynamic dimensions). A multiply-add is 2 FLOPs; only the ops that do the
 * arithmetic are counted (convolutions, matrix products, Einsum); element-wise ops, normalisations and
 * softmax are a few FLOPs per element and left out, so the count is a slight underestimate.
 */

/** One event of onnxruntime's profile (Chrome trace format; kernel events have cat "Node"). */
export interface ProfileEvent {
  cat?: string;
  name?: string;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[]; output_size?: string };
}

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

function shapes(e: ProfileEvent): number[][] {
  return (e.args?.input_type_shape ?? []).map((s) => Object.values(s)[0] ?? []);
}

/** FLOPs of a two-operand Einsum: 2 x the product of the sizes of all its distinct indices. */
export function einsumFlops(equation: string, inputs: number[][]): number {
  const [lhs] = equation.replace(/\s/g, '').split('->');
  const terms = lhs.split(',');
  if (terms.length !== inputs.length || terms.some((t, i) => t.length !== inputs[i].length)) return 0;
  const size = new Map<string, number>();
  terms.forEach((t, i) => [...t].forEach((ch, k) => size.set(ch, inputs[i][k])));
  return 2 * prod([...size.values()]);
}

/** FLOPs of one kernel event (0 for ops that are not counted). `einsum`: node name -> equation. */
export function eventFlops(e: ProfileEvent, einsum: Map<string, string>): number {
  const op = e.args?.op_name ?? '';
  const ins = shapes(e);
  const outElems = Number(e.args?.output_size ?? 0) / 4; // float32 outputs
  switch (op) {
    case 'Conv':
    case 'FusedConv':
      // each output element: Cin/groups x kh x kw multiply-adds (weight [Cout, Cin/groups, kh, kw])
      return ins[1] ? 2 * outElems * prod(ins[1].slice(1)) : 0;
    case 'MatMul':
    case 'FusedMatMul':
    case 'Gemm':
    case 'FusedGemm': {
      const [a, b] = ins;
      if (!a || a.length < 2) return 0;
      // A constant B (weights) is pre-packed and the profile leaves it out: then K is A's last axis
      // (MatMul does not transpose; exported Gemms keep A as it is).
      return 2 * outElems * (b && b.length >= 2 ? innerSize(a, b) : a[a.length - 1]);
    }
    case 'Einsum': {
      const equation = einsum.get((e.name ?? '').replace(/_kernel_time$/, ''));
      return equation ? einsumFlops(equation, ins) : 0;
    }
    default:
      return 0;
  }
}

/**
 * The inner size K of a matrix product from its operands' last two axes, whichever of them is transposed
 * (Gemm and FusedMatMul may transpose): the axis the two share.
 */
function innerSize(a: number[], b: number[]): number {
  const [a0, a1] = a.slice(-2);
  const [b0, b1] = b.slice(-2);
  if (a1 === b0) return a1; // A [M, K] B [K, N]
  if (a0 === b0) return a0; // A^T: A [K, M]
  if (a1 === b1) return a1; // B^T: B [N, K]
  return a0; // both transposed: A [K, M] B [N, K]
}

/** Total FLOPs of the kernel events of a profile. */
export function profileFlops(events: ProfileEvent[], einsum: Map<string, string>): number {
  let total = 0;
  for (const e of events) if (e.cat === 'Node' && e.name?.endsWith('_kernel_time')) total += eventFlops(e, einsum);
  return total;
}
