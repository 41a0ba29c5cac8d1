/**
 * A decoder for OTLP/HTTP protobuf trace exports (opentelemetry-proto, `ExportTraceServiceRequest`), producing the
 * same shape as OTLP/JSON (ids as hex, nanosecond times as decimal strings) so one mapper reads both encodings.
 * Only the fields traces need are read; unknown fields are skipped by wire type, as protobuf requires.
 */
import { ProtobufReader } from '../../core/protobuf.js';
import type { OtlpAnyValue, OtlpKeyValue, OtlpRequest, OtlpSpan } from './otlp.js';

type Reader = ProtobufReader;

const utf8 = new TextDecoder();
const text = (r: Reader) => utf8.decode(r.bytes());
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function anyValue(r: Reader): OtlpAnyValue {
  let out: OtlpAnyValue = {};
  r.fields((no, wire) => {
    if (no === 1 && wire === 2) out = { stringValue: text(r) };
    else if (no === 2 && wire === 0) out = { boolValue: r.varint() !== 0n };
    else if (no === 3 && wire === 0) out = { intValue: String(BigInt.asIntN(64, r.varint())) };
    else if (no === 4 && wire === 1) out = { doubleValue: r.double() };
    else if (no === 5 && wire === 2) {
      const values: OtlpAnyValue[] = [];
      const sub = r.sub();
      sub.fields((n, w) => (n === 1 && w === 2 ? (values.push(anyValue(sub.sub())), true) : false));
      out = { arrayValue: { values } };
    } else if (no === 6 && wire === 2) {
      const values: OtlpKeyValue[] = [];
      const sub = r.sub();
      sub.fields((n, w) => (n === 1 && w === 2 ? (values.push(keyValue(sub.sub())), true) : false));
      out = { kvlistValue: { values } };
    } else if (no === 7 && wire === 2) out = { bytesValue: Buffer.from(r.bytes()).toString('base64') };
    else return false;
    return true;
  });
  return out;
}

function keyValue(r: Reader): OtlpKeyValue {
  let key = '';
  let value: OtlpAnyValue = {};
  r.fields((no, wire) => {
    if (no === 1 && wire === 2) key = text(r);
    else if (no === 2 && wire === 2) value = anyValue(r.sub());
    else return false;
    return true;
  });
  return { key, value };
}

function attributesInto(list: OtlpKeyValue[], r: Reader): boolean {
  list.push(keyValue(r.sub()));
  return true;
}

function span(r: Reader): OtlpSpan {
  const s: { -readonly [K in keyof OtlpSpan]: OtlpSpan[K] } = { traceId: '', spanId: '', name: '', attributes: [], events: [] };
  r.fields((no, wire) => {
    switch (no) {
      case 1: s.traceId = hex(r.bytes()); return true;
      case 2: s.spanId = hex(r.bytes()); return true;
      case 4: s.parentSpanId = hex(r.bytes()); return true;
      case 5: s.name = text(r); return true;
      case 6: s.kind = r.small(); return true;
      case 7: if (wire !== 1) return false; s.startTimeUnixNano = String(r.fixed64()); return true;
      case 8: if (wire !== 1) return false; s.endTimeUnixNano = String(r.fixed64()); return true;
      case 9: return attributesInto(s.attributes as OtlpKeyValue[], r);
      case 11: {
        const ev: { timeUnixNano?: string; name: string; attributes: OtlpKeyValue[] } = { name: '', attributes: [] };
        const sub = r.sub();
        sub.fields((n, w) => {
          if (n === 1 && w === 1) ev.timeUnixNano = String(sub.fixed64());
          else if (n === 2 && w === 2) ev.name = text(sub);
          else if (n === 3 && w === 2) ev.attributes.push(keyValue(sub.sub()));
          else return false;
          return true;
        });
        (s.events as unknown[]).push(ev);
        return true;
      }
      case 15: {
        const st: { code?: number; message?: string } = {};
        const sub = r.sub();
        sub.fields((n, w) => {
          if (n === 2 && w === 2) st.message = text(sub);
          else if (n === 3 && w === 0) st.code = sub.small();
          else return false;
          return true;
        });
        s.status = st;
        return true;
      }
      default: return false;
    }
  });
  return s;
}

export function decodeOtlpTraces(body: Uint8Array): OtlpRequest {
  const resourceSpans: { resource?: { attributes: OtlpKeyValue[] }; scopeSpans: { scope?: { name?: string; version?: string }; spans: OtlpSpan[] }[] }[] = [];
  const top = new ProtobufReader(body, 'The OTLP export');
  top.fields((no, wire) => {
    if (no !== 1 || wire !== 2) return false;
    const rs: (typeof resourceSpans)[number] = { scopeSpans: [] };
    const r = top.sub();
    r.fields((n, w) => {
      if (n === 1 && w === 2) {
        const attributes: OtlpKeyValue[] = [];
        const res = r.sub();
        res.fields((k, kw) => (k === 1 && kw === 2 ? attributesInto(attributes, res) : false));
        rs.resource = { attributes };
      } else if (n === 2 && w === 2) {
        const ss: (typeof rs.scopeSpans)[number] = { spans: [] };
        const sr = r.sub();
        sr.fields((k, kw) => {
          if (k === 1 && kw === 2) {
            const scope: { name?: string; version?: string } = {};
            const sc = sr.sub();
            sc.fields((m, mw) => {
              if (m === 1 && mw === 2) scope.name = text(sc);
              else if (m === 2 && mw === 2) scope.version = text(sc);
              else return false;
              return true;
            });
            ss.scope = scope;
          } else if (k === 2 && kw === 2) ss.spans.push(span(sr.sub()));
          else return false;
          return true;
        });
        rs.scopeSpans.push(ss);
      } else return false;
      return true;
    });
    resourceSpans.push(rs);
    return true;
  });
  return { resourceSpans };
}
