import type { PreparedColumn, PreparedColumns } from './analysis.js';
import type { FeatureType } from './table.js';

const bytesOf = (c: PreparedColumn) => (c.type === 'numeric' ? c.sample.length * 8 : c.counts.size * 64);

/**
 * The prepared (sorted, counted) columns of recent references, so a window after the first does not read
 * and sort its reference again. Entries are keyed by the reference's stored batches, so a replaced reference
 * is never served; memory is bounded, the least recently used reference going first.
 */
export class ReferenceCache {
  private readonly entries = new Map<string, { columns: Map<string, PreparedColumn>; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes = 256 * 2 ** 20) {}

  /** The columns of one reference; `key` must change whenever the reference's rows do. */
  columns(key: string): PreparedColumns {
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      entry = { columns: new Map(), bytes: 0 };
      this.entries.set(key, entry);
    }
    const own = entry;
    return {
      get: (name: string, type: FeatureType) => own.columns.get(`${type}:${name}`),
      set: (name: string, type: FeatureType, column: PreparedColumn) => {
        const size = bytesOf(column);
        if (size > this.maxBytes || !this.entries.has(key)) return;
        own.columns.set(`${type}:${name}`, column);
        own.bytes += size;
        this.bytes += size;
        this.evict(key);
      },
    };
  }

  private evict(keep: string): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) return;
      if (key === keep) continue;
      this.entries.delete(key);
      this.bytes -= entry.bytes;
    }
  }
}
