/**
 * Tiny ONNX models built byte by byte, so tests and benchmarks need no model files and no Python.
 * The encoder writes just the protobuf fields of onnx.proto that these graphs use (field numbers
 * from onnx/onnx.proto3, IR version 8, default-domain opset 13).
 */

/** A protobuf message under construction: fields appended in order. */
class Message {
  private readonly parts: Buffer[] = [];

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0n);
    this.parts.push(Buffer.from(bytes));
  }

  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.parts.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array | string): this {
    const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    this.tag(field, 2);
    this.varint(b.length);
    this.parts.push(b);
    return this;
  }

  message(field: number, m: Message): this {
    return this.bytes(field, m.encode());
  }

  encode(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const ELEM = { float: 1, int64: 7, double: 11 } as const;
type Elem = keyof typeof ELEM;

/** A dimension: a number is fixed, a string is symbolic (the batch dimension, usually). */
type Dim = number | string;

function valueInfo(name: string, elem: Elem, dims: readonly Dim[]): Message {
  const shape = new Message();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new Message().int(1, d) : new Message().bytes(2, d));
  const tensorType = new Message().int(1, ELEM[elem]).message(2, shape);
  return new Message().bytes(1, name).message(2, new Message().message(1, tensorType));
}

function floatTensor(name: string, dims: readonly number[], values: readonly number[]): Message {
  const t = new Message();
  for (const d of dims) t.int(1, d);
  t.int(2, ELEM.float).bytes(8, name);
  const raw = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  return t.bytes(9, raw);
}

interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly intAttrs?: Readonly<Record<string, number>>;
}

interface GraphSpec {
  readonly inputs: readonly { name: string; elem: Elem; dims: readonly Dim[] }[];
  readonly outputs: readonly { name: string; elem: Elem; dims: readonly Dim[] }[];
  readonly initializers: readonly { name: string; dims: readonly number[]; values: readonly number[] }[];
  readonly nodes: readonly NodeSpec[];
}

export function onnxModel(spec: GraphSpec): Buffer {
  const graph = new Message();
  spec.nodes.forEach((n, i) => {
    const node = new Message();
    for (const input of n.inputs) node.bytes(1, input);
    for (const output of n.outputs) node.bytes(2, output);
    node.bytes(3, `${n.op.toLowerCase()}_${i}`).bytes(4, n.op);
    for (const [name, value] of Object.entries(n.intAttrs ?? {})) node.message(5, new Message().bytes(1, name).int(3, value).int(20, 2));
    graph.message(1, node);
  });
  graph.bytes(2, 'g');
  for (const init of spec.initializers) graph.message(5, floatTensor(init.name, init.dims, init.values));
  for (const input of spec.inputs) graph.message(11, valueInfo(input.name, input.elem, input.dims));
  for (const output of spec.outputs) graph.message(12, valueInfo(output.name, output.elem, output.dims));
  return new Message()
    .int(1, 8)
    .bytes(2, 'openexpert-tests')
    .message(7, graph)
    .message(8, new Message().bytes(1, '').int(2, 13))
    .encode();
}

/** `y = x·Wᵀ + b` with W of shape [outputs, inputs]: ONNX Gemm with transB = 1. */
export function linearModel(weights: readonly (readonly number[])[], bias: readonly number[], opts: { sigmoid?: boolean } = {}): Buffer {
  const outputs = weights.length;
  const inputs = weights[0]?.length ?? 0;
  const last = opts.sigmoid ? 'z' : 'y';
  return onnxModel({
    inputs: [{ name: 'x', elem: 'float', dims: ['N', inputs] }],
    outputs: [{ name: 'y', elem: 'float', dims: ['N', outputs] }],
    initializers: [
      { name: 'W', dims: [outputs, inputs], values: weights.flat() },
      { name: 'b', dims: [outputs], values: bias },
    ],
    nodes: [
      { op: 'Gemm', inputs: ['x', 'W', 'b'], outputs: [last], intAttrs: { transB: 1 } },
      ...(opts.sigmoid ? [{ op: 'Sigmoid', inputs: ['z'], outputs: ['y'] }] : []),
    ],
  });
}

/** A two-layer perceptron `y = σ(W2·relu(W1·x + b1) + b2)` with deterministic pseudo-random weights. */
export function mlpModel(inputs: number, hidden: number, seed = 7): Buffer {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 2 - 1;
  };
  const w1 = Array.from({ length: hidden * inputs }, next);
  const b1 = Array.from({ length: hidden }, next);
  const w2 = Array.from({ length: hidden }, next);
  return onnxModel({
    inputs: [{ name: 'x', elem: 'float', dims: ['N', inputs] }],
    outputs: [{ name: 'y', elem: 'float', dims: ['N', 1] }],
    initializers: [
      { name: 'W1', dims: [hidden, inputs], values: w1 },
      { name: 'b1', dims: [hidden], values: b1 },
      { name: 'W2', dims: [1, hidden], values: w2 },
      { name: 'b2', dims: [1], values: [0.1] },
    ],
    nodes: [
      { op: 'Gemm', inputs: ['x', 'W1', 'b1'], outputs: ['h'], intAttrs: { transB: 1 } },
      { op: 'Relu', inputs: ['h'], outputs: ['r'] },
      { op: 'Gemm', inputs: ['r', 'W2', 'b2'], outputs: ['z'], intAttrs: { transB: 1 } },
      { op: 'Sigmoid', inputs: ['z'], outputs: ['y'] },
    ],
  });
}

/**
 * `y[i] = table[x[i]]` over a table of `size` entries: onnxruntime fails the whole call when an
 * index is out of range, so this model throws on some inputs (x ≥ size) and answers the others.
 */
export function lookupModel(table: readonly number[]): Buffer {
  return onnxModel({
    inputs: [{ name: 'x', elem: 'float', dims: ['N', 1] }],
    outputs: [{ name: 'y', elem: 'float', dims: ['N', 1] }],
    initializers: [{ name: 'table', dims: [table.length], values: table }],
    nodes: [
      { op: 'Cast', inputs: ['x'], outputs: ['i'], intAttrs: { to: ELEM.int64 } },
      { op: 'Gather', inputs: ['table', 'i'], outputs: ['y'], intAttrs: { axis: 0 } },
    ],
  });
}

/** A node of a test tree: a split (`feature ≤ threshold` goes to `yes`) or a leaf with one weight per target. */
export type TestTreeNode =
  | { readonly feature: number; readonly threshold: number; readonly yes: number; readonly no: number; readonly cover: number }
  | { readonly leaf: readonly number[]; readonly cover: number };

export interface TreeEnsembleSpec {
  readonly kind: 'regressor' | 'classifier';
  readonly features: number;
  readonly trees: readonly (readonly TestTreeNode[])[];
  /** Regressor targets; a classifier has one weight per class. */
  readonly targets?: number;
  readonly classes?: readonly number[];
  readonly base?: readonly number[];
  readonly aggregate?: 'SUM' | 'AVERAGE';
  readonly postTransform?: 'NONE' | 'LOGISTIC' | 'SOFTMAX';
  /** Write the covers as nodes_hitrates (converters such as skl2onnx write 1 everywhere instead). */
  readonly hitrates?: 'covers' | 'ones';
}

const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

function attr(name: string, value: number | string | { floats: readonly number[] } | { ints: readonly number[] } | { strings: readonly string[] }): Message {
  const a = new Message().bytes(1, name);
  if (typeof value === 'string') return a.bytes(4, value).int(20, ATTR.STRING);
  if (typeof value === 'number') return a.int(3, value).int(20, ATTR.INT);
  if ('floats' in value) {
    for (const f of value.floats) a.float(7, f);
    return a.int(20, ATTR.FLOATS);
  }
  if ('ints' in value) {
    for (const i of value.ints) a.int(8, i);
    return a.int(20, ATTR.INTS);
  }
  for (const s of value.strings) a.bytes(9, s);
  return a.int(20, ATTR.STRINGS);
}

/** An ai.onnx.ml TreeEnsembleRegressor or TreeEnsembleClassifier (opset 1) over one float input `x` [N, features]. */
export function treeEnsembleModel(spec: TreeEnsembleSpec): Buffer {
  const n: Record<string, number[]> = { treeids: [], nodeids: [], featureids: [], truenodeids: [], falsenodeids: [], missing: [] };
  const values: number[] = [];
  const hitrates: number[] = [];
  const modes: string[] = [];
  const leaf: Record<string, number[]> = { treeids: [], nodeids: [], ids: [], weights: [] };
  spec.trees.forEach((tree, t) => {
    tree.forEach((node, k) => {
      n.treeids!.push(t);
      n.nodeids!.push(k);
      hitrates.push(spec.hitrates === 'ones' ? 1 : node.cover);
      n.missing!.push(0);
      if ('leaf' in node) {
        n.featureids!.push(0);
        values.push(0);
        modes.push('LEAF');
        n.truenodeids!.push(0);
        n.falsenodeids!.push(0);
        node.leaf.forEach((w, target) => {
          leaf.treeids!.push(t);
          leaf.nodeids!.push(k);
          leaf.ids!.push(target);
          leaf.weights!.push(w);
        });
      } else {
        n.featureids!.push(node.feature);
        values.push(node.threshold);
        modes.push('BRANCH_LEQ');
        n.truenodeids!.push(node.yes);
        n.falsenodeids!.push(node.no);
      }
    });
  });
  const classifier = spec.kind === 'classifier';
  const p = classifier ? 'class' : 'target';
  const attrs: Message[] = [
    attr('nodes_treeids', { ints: n.treeids! }), attr('nodes_nodeids', { ints: n.nodeids! }), attr('nodes_featureids', { ints: n.featureids! }),
    attr('nodes_values', { floats: values }), attr('nodes_modes', { strings: modes }), attr('nodes_truenodeids', { ints: n.truenodeids! }),
    attr('nodes_falsenodeids', { ints: n.falsenodeids! }), attr('nodes_missing_value_tracks_true', { ints: n.missing! }),
    ...(spec.hitrates ? [attr('nodes_hitrates', { floats: hitrates })] : []),
    attr(`${p}_treeids`, { ints: leaf.treeids! }), attr(`${p}_nodeids`, { ints: leaf.nodeids! }), attr(`${p}_ids`, { ints: leaf.ids! }),
    attr(`${p}_weights`, { floats: leaf.weights! }), attr('post_transform', spec.postTransform ?? 'NONE'),
    ...(spec.base ? [attr('base_values', { floats: spec.base })] : []),
    ...(classifier ? [attr('classlabels_int64s', { ints: spec.classes ?? [0, 1] })] : [attr('n_targets', spec.targets ?? 1), attr('aggregate_function', spec.aggregate ?? 'SUM')]),
  ];
  const node = new Message();
  node.bytes(1, 'x');
  if (classifier) node.bytes(2, 'label').bytes(2, 'probabilities');
  else node.bytes(2, 'variable');
  node.bytes(3, 'trees').bytes(4, classifier ? 'TreeEnsembleClassifier' : 'TreeEnsembleRegressor');
  for (const a of attrs) node.message(5, a);
  node.bytes(7, 'ai.onnx.ml');
  const graph = new Message().message(1, node).bytes(2, 'g').message(11, valueInfo('x', 'float', ['N', spec.features]));
  if (classifier) {
    graph.message(12, valueInfo('label', 'int64', ['N'])).message(12, valueInfo('probabilities', 'float', ['N', (spec.classes ?? [0, 1]).length]));
  } else {
    graph.message(12, valueInfo('variable', 'float', ['N', spec.targets ?? 1]));
  }
  return new Message()
    .int(1, 8)
    .bytes(2, 'openexpert-tests')
    .message(7, graph)
    .message(8, new Message().bytes(1, '').int(2, 13))
    .message(8, new Message().bytes(1, 'ai.onnx.ml').int(2, 1))
    .encode();
}

/**
 * Seeded random trees grown on seeded random rows, so covers are real row counts: each split takes a
 * random feature at the median of the rows reaching the node; leaves get random weights.
 */
export function randomTrees(opts: { seed: number; trees: number; depth: number; features: number; rows: number; targets?: number }): TestTreeNode[][] {
  let s = opts.seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const data = Array.from({ length: opts.rows }, () => Array.from({ length: opts.features }, () => Math.round(next() * 1000) / 100));
  const out: TestTreeNode[][] = [];
  for (let t = 0; t < opts.trees; t++) {
    const nodes: TestTreeNode[] = [];
    const grow = (rows: number[][], depth: number): number => {
      const index = nodes.length;
      nodes.push({ leaf: [], cover: rows.length });
      const feature = Math.floor(next() * opts.features);
      const sorted = rows.map((r) => r[feature]!).sort((a, b) => a - b);
      const threshold = sorted[Math.floor(sorted.length / 2)] ?? 0;
      const left = rows.filter((r) => r[feature]! <= threshold);
      const right = rows.filter((r) => r[feature]! > threshold);
      if (depth >= opts.depth || left.length === 0 || right.length === 0) {
        nodes[index] = { leaf: Array.from({ length: opts.targets ?? 1 }, () => Math.round((next() * 2 - 1) * 1000) / 1000), cover: rows.length };
        return index;
      }
      const yes = grow(left, depth + 1);
      const no = grow(right, depth + 1);
      nodes[index] = { feature, threshold, yes, no, cover: rows.length };
      return index;
    };
    grow(data, 0);
    out.push(nodes);
  }
  return out;
}
