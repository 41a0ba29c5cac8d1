import { invalid } from './errors.js';

/**
 * A protobuf wire-format reader for the few messages the platform decodes by hand (ONNX graphs, OTLP trace
 * exports): varints, fixed-width numbers, length-delimited fields, and skipping unknown fields by wire type as
 * protobuf requires. Errors are 400s naming `what` was being read ("The ONNX model", "The OTLP export").
 */
export class ProtobufReader {
  pos: number;
  constructor(private readonly buf: Uint8Array, private readonly what: string, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  private truncated(): never {
    throw invalid(`${this.what} is truncated (a field runs past its message)`);
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) this.truncated();
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw invalid(`${this.what} has a malformed varint`);
    }
  }

  /** A varint known to be small (a length, an enum, a tag). */
  small(): number {
    return Number(this.varint());
  }

  /** int64 fields: two's complement over 64 bits. */
  int64(): number {
    return Number(BigInt.asIntN(64, this.varint()));
  }

  private fixed(width: 4 | 8): DataView {
    if (this.pos + width > this.end) this.truncated();
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, width);
    this.pos += width;
    return view;
  }

  fixed32(): DataView {
    return this.fixed(4);
  }

  fixed64(): bigint {
    return this.fixed(8).getBigUint64(0, true);
  }

  double(): number {
    return this.fixed(8).getFloat64(0, true);
  }

  bytes(): Uint8Array {
    const length = this.small();
    if (this.pos + length > this.end) this.truncated();
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /** The embedded message of a length-delimited field. */
  sub(): ProtobufReader {
    return new ProtobufReader(this.bytes(), this.what);
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.fixed(8);
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.fixed(4);
    else throw invalid(`${this.what} has an unsupported protobuf wire type ${wire}`);
  }

  /** Calls `field` for each (field number, wire type); it reads the value, or returns false to have it skipped. */
  fields(field: (no: number, wire: number) => boolean): void {
    while (!this.done()) {
      const tag = this.small();
      if (!field(tag >>> 3, tag & 7)) this.skip(tag & 7);
    }
  }
}
