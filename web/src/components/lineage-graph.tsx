import { Maximize, ZoomIn, ZoomOut } from 'lucide-react';
import { useMemo, useRef, useState, type PointerEvent as ReactPointerEvent, type WheelEvent as ReactWheelEvent } from 'react';
import { useNavigate } from 'react-router';

export interface GraphNode {
  readonly key: string;
  readonly kind: string;
  readonly label: string;
  /** Negative: upstream of the root by that many hops; positive: downstream. */
  readonly layer: number;
  readonly href?: string | undefined;
  readonly root?: boolean;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly relation: string;
}

export const NODE_W = 190;
export const NODE_H = 46;
const GAP_X = 90;
const GAP_Y = 22;
const PAD = 24;

export interface Placed extends GraphNode {
  readonly x: number;
  readonly y: number;
}

/**
 * A layered layout: one column per layer (upstream on the left, the root in the middle, downstream on the right),
 * nodes in a column sorted by kind then label and centred on the tallest column.
 */
export function layout(nodes: readonly GraphNode[]): { placed: Placed[]; width: number; height: number } {
  const layers = [...new Set(nodes.map((n) => n.layer))].sort((a, b) => a - b);
  const columns = layers.map((l) => nodes.filter((n) => n.layer === l).sort((a, b) => a.kind.localeCompare(b.kind) || a.label.localeCompare(b.label)));
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const height = PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y;
  const placed = columns.flatMap((column, ci) => {
    const columnHeight = column.length * NODE_H + (column.length - 1) * GAP_Y;
    const top = (height - columnHeight) / 2;
    return column.map((n, i) => ({ ...n, x: PAD + ci * (NODE_W + GAP_X), y: top + i * (NODE_H + GAP_Y) }));
  });
  return { placed, width: PAD * 2 + layers.length * NODE_W + Math.max(0, layers.length - 1) * GAP_X, height };
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Where a bezier from the right side of `a` to the left side of `b` runs (or between the facing sides when b is left of a). */
function edgePath(a: Placed, b: Placed): string {
  const forward = b.x >= a.x + NODE_W;
  const x1 = forward ? a.x + NODE_W : a.x;
  const x2 = forward ? b.x : b.x + NODE_W;
  const y1 = a.y + NODE_H / 2;
  const y2 = b.y + NODE_H / 2;
  const bend = Math.max(40, Math.abs(x2 - x1) / 2) * (forward ? 1 : -1);
  return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
}

const MIN_SCALE = 0.25;
const MAX_SCALE = 3;

/**
 * The lineage around one node as a graph: drag to pan, wheel or the buttons to zoom, click (or Enter on) a node
 * to open its page. Nodes without a page in the UI are drawn but not links.
 */
export function LineageGraph({ nodes, edges }: { nodes: readonly GraphNode[]; edges: readonly GraphEdge[] }) {
  const navigate = useNavigate();
  const { placed, width, height } = useMemo(() => layout(nodes), [nodes]);
  const byKey = useMemo(() => new Map(placed.map((p) => [p.key, p])), [placed]);
  const [view, setView] = useState({ x: 0, y: 0, k: 1 });
  const drag = useRef<{ x: number; y: number; vx: number; vy: number; moved: boolean } | undefined>(undefined);
  const svg = useRef<SVGSVGElement>(null);
  const [panning, setPanning] = useState(false);

  const zoomAt = (factor: number, cx: number, cy: number) => setView((v) => {
    const k = Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.k * factor));
    // Keep the point under the cursor where it is.
    return { k, x: cx - ((cx - v.x) * k) / v.k, y: cy - ((cy - v.y) * k) / v.k };
  });
  /** The point of the drawing's own coordinates (the viewBox) under a client position. */
  const toLocal = (clientX: number, clientY: number) => {
    const r = svg.current?.getBoundingClientRect();
    if (!r || r.width === 0) return { x: 0, y: 0 };
    const scale = Math.max(width / r.width, height / r.height);
    return { x: (clientX - r.left) * scale, y: (clientY - r.top) * scale };
  };
  const onWheel = (e: ReactWheelEvent<SVGSVGElement>) => {
    const p = toLocal(e.clientX, e.clientY);
    zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, p.x, p.y);
  };
  const onPointerDown = (e: ReactPointerEvent<SVGSVGElement>) => {
    if (e.button !== 0) return;
    drag.current = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
  };
  const onPointerMove = (e: ReactPointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (!d) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < 4) return;
    if (!d.moved) {
      d.moved = true;
      setPanning(true);
      svg.current?.setPointerCapture(e.pointerId);
    }
    const r = svg.current?.getBoundingClientRect();
    const scale = r && r.width > 0 ? Math.max(width / r.width, height / r.height) : 1;
    setView((v) => ({ ...v, x: d.vx + dx * scale, y: d.vy + dy * scale }));
  };
  const onPointerUp = () => {
    setPanning(false);
    // A drag that ends on a node is not a click on it: keep the flag until the click event has passed.
    setTimeout(() => { drag.current = undefined; }, 0);
  };
  const center = { x: width / 2, y: height / 2 };

  return (
    <div className="lineage-graph" data-testid="lineage-graph">
      <div className="controls">
        <button type="button" onClick={() => zoomAt(1.25, center.x, center.y)} aria-label="Zoom in" title="Zoom in"><ZoomIn className="icon" aria-hidden="true" /></button>
        <button type="button" onClick={() => zoomAt(0.8, center.x, center.y)} aria-label="Zoom out" title="Zoom out"><ZoomOut className="icon" aria-hidden="true" /></button>
        <button type="button" onClick={() => setView({ x: 0, y: 0, k: 1 })} aria-label="Fit the graph" title="Fit the graph"><Maximize className="icon" aria-hidden="true" /></button>
      </div>
      <svg
        ref={svg}
        className={panning ? 'panning' : undefined}
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="xMidYMid meet"
        role="group"
        aria-label={`Lineage graph: ${nodes.length} nodes, ${edges.length} edges. Drag to pan, scroll to zoom, open a node to go to its page.`}
        onWheel={onWheel}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        data-scale={view.k.toFixed(3)}
      >
        <defs>
          <marker id="lineage-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="arrow-head" fill="currentColor" />
          </marker>
        </defs>
        <g transform={`translate(${view.x} ${view.y}) scale(${view.k})`} data-testid="lineage-viewport">
          {edges.map((e) => {
            const a = byKey.get(e.from);
            const b = byKey.get(e.to);
            if (!a || !b) return null;
            return (
              <g key={`${e.from}>${e.to}:${e.relation}`} className="edge-group">
                <path className="edge" d={edgePath(a, b)} markerEnd="url(#lineage-arrow)" />
                <text className="edge-label" x={(a.x + NODE_W + b.x) / 2} y={(a.y + b.y) / 2 + NODE_H / 2 - 5} textAnchor="middle">{e.relation.replaceAll('_', ' ')}</text>
              </g>
            );
          })}
          {placed.map((n) => {
            const body = (
              <>
                <title>{`${n.kind.replaceAll('_', ' ')} ${n.label}`}</title>
                <rect width={NODE_W} height={NODE_H} rx={6} />
                <text className="kind" x={10} y={17}>{n.kind.replaceAll('_', ' ')}</text>
                <text className="label" x={10} y={35}>{clip(n.label, 22)}</text>
              </>
            );
            const cls = `node${n.root ? ' root' : ''}`;
            return n.href ? (
              <a
                key={n.key}
                href={n.href}
                className={cls}
                aria-label={`${n.kind.replaceAll('_', ' ')} ${n.label}`}
                data-node={n.key}
                onClick={(e) => {
                  e.preventDefault();
                  if (drag.current?.moved) return;
                  void navigate(n.href!);
                }}
              >
                <g transform={`translate(${n.x} ${n.y})`}>{body}</g>
              </a>
            ) : (
              <g key={n.key} className={cls} transform={`translate(${n.x} ${n.y})`} data-node={n.key}>{body}</g>
            );
          })}
        </g>
      </svg>
    </div>
  );
}
