/** A line diff between two prompt versions, as `diff -u` shows it, for reviewing a change before promoting it. */
export interface DiffLine {
  readonly op: ' ' | '-' | '+';
  readonly text: string;
  /** Line numbers in the old and new text (absent on the side the line is not in). */
  readonly oldLine?: number;
  readonly newLine?: number;
}

export interface Hunk {
  readonly oldStart: number;
  readonly oldLines: number;
  readonly newStart: number;
  readonly newLines: number;
  readonly lines: readonly DiffLine[];
}

/** Prompts are short; the quadratic table of a longest common subsequence stays small (a few thousand lines at most). */
const MAX_CELLS = 25_000_000;

/** Every line of both texts, kept lines from a longest common subsequence, removals before additions at each change. */
export function lineDiff(oldText: string, newText: string): DiffLine[] {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  // Common head and tail are kept as they are: only the middle needs the table.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ op: ' ', text: a[i]!, oldLine: i + 1, newLine: i + 1 });
  const n = am.length;
  const m = bm.length;
  let oi = head;
  let ni = head;
  if (n * m > MAX_CELLS) {
    for (const text of am) out.push({ op: '-', text, oldLine: ++oi });
    for (const text of bm) out.push({ op: '+', text, newLine: ++ni });
  } else {
    // lcs[i][j]: the longest common subsequence of am[i..] and bm[j..].
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = am[i] === bm[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ op: ' ', text: am[i]!, oldLine: ++oi, newLine: ++ni });
        i++; j++;
      } else if (j >= m || (i < n && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
        out.push({ op: '-', text: am[i++]!, oldLine: ++oi });
      } else {
        out.push({ op: '+', text: bm[j++]!, newLine: ++ni });
      }
    }
  }
  for (let k = 0; k < tail; k++) out.push({ op: ' ', text: a[a.length - tail + k]!, oldLine: ++oi, newLine: ++ni });
  return out;
}

/** The changed lines with `context` unchanged lines around them, grouped as `diff -u` groups them. */
export function hunks(lines: readonly DiffLine[], context = 3): Hunk[] {
  const changed = lines.map((l, i) => (l.op !== ' ' ? i : -1)).filter((i) => i >= 0);
  const out: Hunk[] = [];
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k]! - context);
    let end = Math.min(lines.length - 1, changed[k]! + context);
    while (k + 1 < changed.length && changed[k + 1]! - context <= end + 1) end = Math.min(lines.length - 1, changed[++k]! + context);
    k++;
    const part = lines.slice(start, end + 1);
    // The position before a hunk is the count of lines of each side that came before it.
    const before = lines.slice(0, start);
    const oldBefore = before.filter((l) => l.op !== '+').length;
    const newBefore = before.filter((l) => l.op !== '-').length;
    const oldLines = part.filter((l) => l.op !== '+').length;
    const newLines = part.filter((l) => l.op !== '-').length;
    out.push({ oldStart: oldLines === 0 ? oldBefore : oldBefore + 1, oldLines, newStart: newLines === 0 ? newBefore : newBefore + 1, newLines, lines: part });
  }
  return out;
}

/** The hunks as unified diff text, with `---`/`+++` headers naming the two sides. */
export function unifiedDiff(oldName: string, newName: string, hs: readonly Hunk[]): string {
  if (hs.length === 0) return '';
  const range = (start: number, count: number) => (count === 1 ? `${start}` : `${start},${count}`);
  const body = hs.flatMap((h) => [`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`, ...h.lines.map((l) => `${l.op}${l.text}`)]);
  return [`--- ${oldName}`, `+++ ${newName}`, ...body].join('\n') + '\n';
}
