/**
 * Just enough of an ONNX model's protobuf to read its operators and their attributes: the graph's
 * nodes (op type, domain, inputs, outputs) and every attribute's value. Field numbers are those of
 * onnx/onnx.proto3 (ModelProto.graph = 7, GraphProto.node = 1, NodeProto.attribute = 5, …). Initializers,
 * value infos and tensor payloads other than attribute tensors are skipped.
 */
import { invalid } from '../../core/errors.js';
import { ProtobufReader } from '../../core/protobuf.js';

export type AttributeValue = number | string | Uint8Array | readonly number[] | readonly string[] | Float64Array;

export interface OnnxNode {
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, AttributeValue>;
}

type Reader = ProtobufReader;

const text = new TextDecoder();
const sub = (bytes: Uint8Array) => new ProtobufReader(bytes, 'The ONNX model');

function floatList(r: Reader, wire: number, into: number[]): void {
  if (wire === 5) {
    into.push(r.fixed32().getFloat32(0, true));
    return;
  }
  const packed = r.bytes();
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  for (let i = 0; i + 4 <= packed.byteLength; i += 4) into.push(view.getFloat32(i, true));
}

function intList(r: Reader, wire: number, into: number[]): void {
  if (wire === 0) {
    into.push(r.int64());
    return;
  }
  const inner = sub(r.bytes());
  while (!inner.done()) into.push(inner.int64());
}

/** TensorProto values as doubles: float_data (4), int64_data (7), double_data (10) or raw_data (9). */
function tensorValues(bytes: Uint8Array): Float64Array {
  let dataType = 0;
  let raw: Uint8Array | undefined;
  const values: number[] = [];
  const r = sub(bytes);
  r.fields((n, wire) => {
    if (n === 2 && wire === 0) dataType = Number(r.varint());
    else if (n === 4) floatList(r, wire, values);
    else if (n === 7) intList(r, wire, values);
    else if (n === 9 && wire === 2) raw = r.bytes();
    else if (n === 10) {
      if (wire === 1) {
        values.push(new DataView(bytes.buffer, bytes.byteOffset + r.pos, 8).getFloat64(0, true));
        r.pos += 8;
      } else {
        const packed = r.bytes();
        const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
        for (let i = 0; i + 8 <= packed.byteLength; i += 8) values.push(view.getFloat64(i, true));
      }
    } else return false;
    return true;
  });
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    // 1 = FLOAT, 11 = DOUBLE, 7 = INT64
    if (dataType === 1) return Float64Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
    if (dataType === 11) return Float64Array.from({ length: raw.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
    if (dataType === 7) return Float64Array.from({ length: raw.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    throw invalid(`The ONNX model has an attribute tensor of data type ${dataType}, which explanations do not read`);
  }
  return Float64Array.from(values);
}

function attribute(bytes: Uint8Array): [string, AttributeValue] {
  let name = '';
  let value: AttributeValue | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  const r = sub(bytes);
  r.fields((n, wire) => {
    switch (n) {
      case 1: name = text.decode(r.bytes()); return true;
      case 2: value = r.fixed32().getFloat32(0, true); return true;
      case 3: value = r.int64(); return true;
      case 4: value = text.decode(r.bytes()); return true;
      case 5: value = tensorValues(r.bytes()); return true;
      case 7: floatList(r, wire, floats); return true;
      case 8: intList(r, wire, ints); return true;
      case 9: strings.push(text.decode(r.bytes())); return true;
      default: return false;
    }
  });
  if (value === undefined) value = floats.length > 0 ? floats : ints.length > 0 ? ints : strings;
  return [name, value];
}

function node(bytes: Uint8Array): OnnxNode {
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes = new Map<string, AttributeValue>();
  let opType = '';
  let domain = '';
  const r = sub(bytes);
  r.fields((n, wire) => {
    if (wire !== 2) return false;
    switch (n) {
      case 1: inputs.push(text.decode(r.bytes())); return true;
      case 2: outputs.push(text.decode(r.bytes())); return true;
      case 4: opType = text.decode(r.bytes()); return true;
      case 5: {
        const [name, value] = attribute(r.bytes());
        attributes.set(name, value);
        return true;
      }
      case 7: domain = text.decode(r.bytes()); return true;
      default: return false;
    }
  });
  return { opType, domain, inputs, outputs, attributes };
}

/** The nodes of the model's main graph, in file order. */
export function readOnnxNodes(model: Uint8Array): OnnxNode[] {
  const nodes: OnnxNode[] = [];
  const r = new ProtobufReader(model, 'The ONNX model');
  try {
    r.fields((n, wire) => {
      if (n !== 7 || wire !== 2) return false;
      const g = sub(r.bytes());
      g.fields((m, w) => {
        if (m !== 1 || w !== 2) return false;
        nodes.push(node(g.bytes()));
        return true;
      });
      return true;
    });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'INVALID_PARAMETER_VALUE') throw err;
    throw invalid(`The ONNX model cannot be read: ${(err as Error).message}`);
  }
  return nodes;
}
