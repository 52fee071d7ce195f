// A minimal protobuf writer for the few ONNX messages a one-node model needs (field numbers from onnx.proto):
//   ModelProto      ir_version=1 (int64), producer_name=2, graph=7, opset_import=8
//   OperatorSetIdProto domain=1, version=2
//   GraphProto      node=1, name=2, initializer=5, input=11, output=12
//   NodeProto       input=1, output=2, name=3, op_type=4, attribute=5, domain=7
//   AttributeProto  name=1, i=3, type=20 (INT = 2)
//   TensorProto     dims=1, data_type=2, name=8, raw_data=9 (little-endian)
//   ValueInfoProto  name=1, type=2;  TypeProto tensor_type=1;  TypeProto.Tensor elem_type=1, shape=2
//   TensorShapeProto dim=1;  Dimension dim_value=1
// Pure (no I/O): the page builds the model in memory and hands the bytes to onnxruntime-web.

export const ONNX_FLOAT = 1;
export const ONNX_UINT8 = 2;

class Writer {
  private chunks: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      this.chunks.push(b);
    } while (x);
    return this;
  }
  tag(field: number, wire: 0 | 2): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.chunks.push(x);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  message(field: number, m: Uint8Array): this {
    return this.bytes(field, m);
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

export function encodeVarint(v: number | bigint): Uint8Array {
  return new Writer().varint(v).finish();
}

export interface TensorInit {
  name: string;
  dataType: number;
  dims: number[];
  raw: Uint8Array;
}

export interface ValueInfo {
  name: string;
  elemType: number;
  dims: number[];
}

export interface NodeSpec {
  opType: string;
  domain?: string;
  name: string;
  inputs: string[];
  outputs: string[];
  intAttrs?: Record<string, number>;
}

export interface ModelSpec {
  node: NodeSpec;
  initializers: TensorInit[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  opsets: { domain: string; version: number }[];
  irVersion?: number;
}

function tensorProto(t: TensorInit): Uint8Array {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType).string(8, t.name).bytes(9, t.raw);
  return w.finish();
}

function valueInfo(v: ValueInfo): Uint8Array {
  const shape = new Writer();
  for (const d of v.dims) shape.message(1, new Writer().int(1, d).finish());
  const tensor = new Writer().int(1, v.elemType).message(2, shape.finish()).finish();
  const type = new Writer().message(1, tensor).finish();
  return new Writer().string(1, v.name).message(2, type).finish();
}

function nodeProto(n: NodeSpec): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [k, v] of Object.entries(n.intAttrs ?? {})) w.message(5, new Writer().string(1, k).int(3, v).int(20, 2).finish());
  if (n.domain) w.string(7, n.domain);
  return w.finish();
}

/** Encodes a one-node ModelProto. */
export function encodeModel(m: ModelSpec): Uint8Array {
  const g = new Writer().message(1, nodeProto(m.node)).string(2, 'nibble-bench');
  for (const t of m.initializers) g.message(5, tensorProto(t));
  for (const v of m.inputs) g.message(11, valueInfo(v));
  for (const v of m.outputs) g.message(12, valueInfo(v));
  const w = new Writer().int(1, m.irVersion ?? 8).string(2, 'nibble').message(7, g.finish());
  for (const o of m.opsets) w.message(8, new Writer().string(1, o.domain).int(2, o.version).finish());
  return w.finish();
}
