/**
 * Measures what a process and everything it starts use, from /proc (Linux): CPU-seconds (user + system), peak
 * resident memory, wall time and, when `nvidia-smi` answers, GPU-seconds and GPU memory. The tree is found again at
 * every sample (children of children, whatever process group they moved to), so a shell that starts Python that
 * starts workers is measured as one job. A sample reads only the tree's processes (about 2 ms of CPU here, under
 * 1% of a CPU at the default 250 ms: bench/cost.ts).
 *
 * CPU: each process counts its own ticks (utime + stime) and, once it is gone, the ticks of its descendants its
 * parent waited for (cutime + cstime) reach the parent, which is still sampled; a process whose parent is not in the
 * tree (the root, an orphan) keeps its last sample. CPU spent between the last sample and the exit is not seen,
 * except for the root's tree when this process reaped it while no other meter ran (one command at a time): then
 * this process's own cutime + cstime tell it exactly.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { UsageInput } from './types.js';

/** Kernel clock ticks per second (USER_HZ): 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

interface ProcSample {
  readonly pid: number;
  readonly ppid: number;
  /** Own ticks plus the ticks of waited-for descendants. */
  readonly ticks: number;
  readonly rssBytes: number;
}

function readStat(pid: number): ProcSample | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const num = (i: number) => Number(fields[i - 3]);
    const pageSize = 4096;
    return { pid, ppid: num(4), ticks: num(14) + num(15) + num(16) + num(17), rssBytes: num(24) * pageSize };
  } catch {
    return undefined;
  }
}

function allProcesses(): ProcSample[] {
  const out: ProcSample[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** The kernel lists each thread's children (CONFIG_PROC_CHILDREN, on in the usual kernels): then only the tree is read. */
function childrenOf(pid: number): number[] | undefined {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tasks) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(`/proc/${pid}/task/${tid}`)) return undefined;
      continue;
    }
    for (const c of text.trim().split(' ')) if (c) out.push(Number(c));
  }
  return out;
}

/** The tree under `root`, read through the children lists when the kernel has them, else from every process. */
function sampleTree(root: number): ProcSample[] {
  const out: ProcSample[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    const s = readStat(pid);
    if (!s) continue;
    const children = childrenOf(pid);
    if (children === undefined) return treeOf(root, allProcesses());
    out.push(s);
    stack.push(...children);
  }
  return out;
}

/** Ticks of the processes this one has waited for (its cutime + cstime). */
function ownChildrenTicks(): number {
  const stat = fs.readFileSync(`/proc/${process.pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[13]) + Number(fields[14]);
}

/** The pids in the tree under `root` (root included), from one listing of every process. */
export function treeOf(root: number, processes: readonly ProcSample[]): ProcSample[] {
  const children = new Map<number, ProcSample[]>();
  let rootSample: ProcSample | undefined;
  for (const p of processes) {
    if (p.pid === root) rootSample = p;
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  if (!rootSample) return [];
  const out: ProcSample[] = [];
  const stack = [rootSample];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    for (const c of children.get(p.pid) ?? []) stack.push(c);
  }
  return out;
}

interface GpuSample {
  /** GPUs (their names) the tree has a compute context on. */
  readonly gpus: readonly string[];
  readonly memoryBytes: number;
}

let nvidiaSmi: boolean | undefined;
function run(cmd: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/** GPU use of the given pids, or undefined when there is no readable `nvidia-smi` (checked once per process). */
async function sampleGpu(pids: ReadonlySet<number>): Promise<GpuSample | undefined> {
  if (nvidiaSmi === false) return undefined;
  const [apps, gpus] = await Promise.all([
    run('nvidia-smi', ['--query-compute-apps=pid,gpu_uuid,used_memory', '--format=csv,noheader,nounits']),
    run('nvidia-smi', ['--query-gpu=uuid,name', '--format=csv,noheader']),
  ]);
  nvidiaSmi = apps !== undefined && gpus !== undefined;
  if (!nvidiaSmi) return undefined;
  const names = new Map(gpus!.trim().split('\n').filter(Boolean).map((l) => l.split(',').map((x) => x.trim()) as [string, string]));
  const used = new Set<string>();
  let memoryMiB = 0;
  for (const line of apps!.trim().split('\n').filter(Boolean)) {
    const [pid, uuid, mem] = line.split(',').map((x) => x.trim());
    if (!pids.has(Number(pid))) continue;
    used.add(uuid!);
    memoryMiB += Number(mem) || 0;
  }
  return { gpus: [...used].map((u) => names.get(u) ?? 'unknown'), memoryBytes: memoryMiB * 1024 * 1024 };
}

export interface UsageMeterOptions {
  /** Between samples; CPU of processes shorter than this may go unseen. */
  readonly intervalMs?: number;
  /** Ask `nvidia-smi` at every sample (default: when it is on the PATH and answers). */
  readonly gpu?: boolean;
}

/** Meters that are running now: the meter's own children's ticks are only attributable while there is one. */
let activeMeters = 0;

export interface UsageMeter {
  /** Stops sampling (call once the root was reaped) and returns what the tree used. */
  stop(): Promise<UsageInput>;
}

/** Starts metering the tree under `pid`; take the first sample right away so short commands are seen. */
export function meterProcess(pid: number, options: UsageMeterOptions = {}): UsageMeter {
  const started = performance.now();
  const childTicksAtStart = ownChildrenTicks();
  activeMeters++;
  let shared = activeMeters > 1;
  const last = new Map<number, ProcSample>();
  /** Ticks of processes that left the tree without a parent in it to wait for them. */
  let departedTicks = 0;
  let peakRss = 0;
  let gpuSeconds = 0;
  let gpuMemory = 0;
  const gpuTypes = new Map<string, number>();
  let lastSampleAt = performance.now();
  let sampling: Promise<void> = Promise.resolve();
  let stopped = false;

  const sample = async () => {
    const now = performance.now();
    const tree = sampleTree(pid);
    const seen = new Map(tree.map((p) => [p.pid, p]));
    for (const [gone, p] of last) {
      if (seen.has(gone)) continue;
      // Its parent waits for it (its ticks reach the parent's cutime); else they would be lost with it.
      if (!seen.has(p.ppid)) departedTicks += p.ticks;
    }
    last.clear();
    for (const p of tree) last.set(p.pid, p);
    peakRss = Math.max(peakRss, tree.reduce((s, p) => s + p.rssBytes, 0));
    if (options.gpu !== false && tree.length) {
      const gpu = await sampleGpu(new Set(seen.keys()));
      if (gpu && gpu.gpus.length) {
        const seconds = (now - lastSampleAt) / 1000;
        gpuSeconds += seconds * gpu.gpus.length;
        for (const g of gpu.gpus) gpuTypes.set(g, (gpuTypes.get(g) ?? 0) + seconds);
        gpuMemory = Math.max(gpuMemory, gpu.memoryBytes);
      }
    }
    lastSampleAt = now;
  };
  const tick = () => {
    sampling = sampling.then(sample).catch(() => undefined);
  };
  tick();
  const timer = setInterval(() => {
    shared ||= activeMeters > 1;
    if (!stopped) tick();
  }, options.intervalMs ?? 250);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await sampling;
      activeMeters--;
      // Live processes hold their own ticks and those of the descendants they waited for: no tick is counted twice.
      let ticks = departedTicks + [...last.values()].reduce((s, p) => s + p.ticks, 0);
      // The root was reaped by this process: its tree's ticks moved to our cutime, including the last moments the
      // samples missed. Only attributable when no other meter's command ended meanwhile.
      if (!shared && !fs.existsSync(`/proc/${pid}`)) ticks = Math.max(ticks, ownChildrenTicks() - childTicksAtStart);
      const wallSeconds = (performance.now() - started) / 1000;
      const gpuType = [...gpuTypes].sort((a, b) => b[1] - a[1])[0]?.[0];
      return {
        cpuSeconds: ticks / TICKS_PER_SECOND,
        peakMemoryBytes: peakRss,
        wallSeconds,
        ...(gpuSeconds > 0 ? { gpuSeconds, gpuMemoryBytes: gpuMemory, ...(gpuType ? { gpuType } : {}) } : {}),
      };
    },
  };
}
