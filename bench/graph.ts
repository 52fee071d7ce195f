// Graph executor benchmark: one training step (forward, backward, SGD update) of an MLP 64-256-256-10 at batch
// 128 and of a small pre-norm transformer block (causal self-attention as a composition), run through the
// executor. Reports dispatches and submits per step, bytes allocated (with and without liveness reuse), ms per
// step, and the executor's CPU encode time separately from GPU time. The optimizer is plain SGD written as
// graph ops (w <- w - lr * g), so the step measures the graph alone (AdamW's kernels, src/train/optimizer.ts, run
// outside the graph and are timed by bench/lm-train-step.ts). Prints tables; asserts nothing about time.
import type { GpuContext } from '../src/gpu/context.js';
import { summarize } from '../src/gpu/timing.js';
import { Graph } from '../src/graph/graph.js';
import type { Executable } from '../src/graph/executor.js';
import type { Tensor } from '../src/graph/tensor.js';
import * as op from '../src/ops/index.js';
import { randomF32 } from '../src/ref/random.js';

export interface GraphBenchOptions {
  quick?: boolean;
  reps?: number;
}

export interface StepReport {
  name: string;
  params: number;
  kernels: number;
  dispatchesPerStep: number;
  submitsPerStep: number;
  tempBytes: number;
  tempBytesWithoutReuse: number;
  persistentBytes: number;
  uniformBytes: number;
  msPerStep: number;
  /** CPU: recording the step's dispatches; and the synchronous rest of the submit (finish, queue.submit). */
  encodeMs: number;
  submitCallMs: number;
  encodeMinMs: number;
  gpuMs: number | null;
  gpuMethod: string;
  msPerStepSubmitEach: number;
  compileMs: number;
  lossFirst: number;
  lossLast: number;
  /** Kernels by summed time when each dispatch runs alone (profile), largest first. */
  topKernels: { kernel: string; dispatches: number; ms: number; share: number }[];
  profileMethod: string;
}

function sgd(g: Graph, loss: Tensor, lr: Tensor): [Tensor, Tensor][] {
  const grads = g.backward(loss);
  return [...grads].map(([p, d]) => [p, op.sub(p, op.mul(d, lr))]);
}

function mlpStep(ctx: GpuContext, B: number, dims: number[]) {
  const g = new Graph(ctx, `mlp ${dims.join('-')} b${B}`);
  const x = g.input('x', [B, dims[0]]);
  const y = g.input('y', [B], 'i32');
  const lr = g.input('lr', []);
  let h = x;
  for (let i = 0; i + 1 < dims.length; i++) {
    const s = Math.sqrt(6 / (dims[i] + dims[i + 1]));
    const w = g.param(`w${i}`, [dims[i], dims[i + 1]], randomF32(dims[i] * dims[i + 1], 100 + i, -s, s));
    const b = g.param(`b${i}`, [dims[i + 1]], new Float32Array(dims[i + 1]));
    h = op.linear(h, w, b);
    if (i + 2 < dims.length) h = op.relu(h);
  }
  const loss = op.crossEntropy(h, y);
  const feeds = { x: randomF32(B * dims[0], 7), y: Int32Array.from({ length: B }, (_, i) => (i * 7) % dims[dims.length - 1]), lr: [0.05] };
  return { g, loss, updates: sgd(g, loss, lr), feeds };
}

function blockStep(ctx: GpuContext, B: number, T: number, C: number, H: number) {
  const g = new Graph(ctx, `transformer block b${B} t${T} c${C} h${H}`);
  const Dh = C / H;
  const x = g.input('x', [B, T, C]);
  const target = g.input('target', [B, T, C]);
  const lr = g.input('lr', []);
  const w = (name: string, i: number, o: number) => g.param(name, [i, o], randomF32(i * o, name.length * 13 + i, -1 / Math.sqrt(i), 1 / Math.sqrt(i)));
  const ones = (name: string) => g.param(name, [C], new Float32Array(C).fill(1));
  const zeros = (name: string, n = C) => g.param(name, [n], new Float32Array(n));
  const heads = (t: Tensor) => op.permute(op.reshape(t, [B, T, H, Dh]), [0, 2, 1, 3]); // [B, H, T, Dh]
  const h1 = op.layerNorm(x, ones('ln1.g'), zeros('ln1.b'));
  const qkv = op.linear(h1, w('attn.wqkv', C, 3 * C), zeros('attn.bqkv', 3 * C));
  const q = op.rope(heads(op.slice(qkv, 2, 0, C)));
  const k = op.rope(heads(op.slice(qkv, 2, C, 2 * C)));
  const v = heads(op.slice(qkv, 2, 2 * C, 3 * C));
  const att = op.reshape(op.permute(op.causalSelfAttention(q, k, v), [0, 2, 1, 3]), [B, T, C]);
  const x2 = op.add(x, op.linear(att, w('attn.wo', C, C), zeros('attn.bo')));
  const h2 = op.layerNorm(x2, ones('ln2.g'), zeros('ln2.b'));
  const mlp = op.linear(op.gelu(op.linear(h2, w('mlp.w1', C, 4 * C), zeros('mlp.b1', 4 * C))), w('mlp.w2', 4 * C, C), zeros('mlp.b2'));
  const out = op.add(x2, mlp);
  const loss = op.mse(out, target);
  const feeds = { x: randomF32(B * T * C, 3), target: randomF32(B * T * C, 4), lr: [0.05] };
  return { g, loss, updates: sgd(g, loss, lr), feeds };
}

async function measure(name: string, s: { g: Graph; loss: Tensor; updates: [Tensor, Tensor][]; feeds: Record<string, ArrayBufferView | number[]> }, reps: number): Promise<StepReport> {
  const ctx = s.g.ctx;
  const t0 = performance.now();
  const exe: Executable = await s.g.compile({ outputs: [s.loss], updates: s.updates, timing: true });
  const compileMs = performance.now() - t0;
  try {
    await exe.run(s.feeds);
    const lossFirst = (await exe.read(s.loss))[0];
    await exe.run();
    await ctx.idle();
    const wall: number[] = [];
    const enc: number[] = [];
    const sub: number[] = [];
    const gpu: number[] = [];
    for (let i = 0; i < reps; i++) {
      const a = performance.now();
      await exe.run();
      await ctx.idle();
      wall.push(performance.now() - a);
      enc.push(exe.lastEncodeMs);
      sub.push(exe.lastSubmitMs);
      if (exe.lastGpuMs !== null) gpu.push(exe.lastGpuMs);
    }
    const each: number[] = [];
    for (let i = 0; i < Math.max(2, reps >> 1); i++) {
      const a = performance.now();
      await exe.run({}, { submitEach: true });
      await ctx.idle();
      each.push(performance.now() - a);
    }
    const prof = await exe.profile();
    const byKernel = new Map<string, { ms: number; n: number }>();
    for (const p of prof) {
      const e = byKernel.get(p.kernel) ?? { ms: 0, n: 0 };
      e.ms += p.ms;
      e.n++;
      byKernel.set(p.kernel, e);
    }
    const total = prof.reduce((a, p) => a + p.ms, 0);
    const top = [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 6).map(([k, e]) => ({ kernel: k, dispatches: e.n, ms: e.ms, share: e.ms / total }));
    const lossLast = (await exe.read(s.loss))[0];
    const st = exe.stats;
    return {
      name,
      params: s.g.params.reduce((a, p) => a + p.numel, 0),
      kernels: st.kernels,
      dispatchesPerStep: st.dispatchesPerRun,
      submitsPerStep: st.submitsPerRun,
      tempBytes: st.tempBytes,
      tempBytesWithoutReuse: st.tempBytesWithoutReuse,
      persistentBytes: s.g.persistentBytes,
      uniformBytes: st.uniformBytes,
      msPerStep: summarize(wall, 'queue-completion').median,
      encodeMs: summarize(enc, 'queue-completion').median,
      submitCallMs: summarize(sub, 'queue-completion').median,
      encodeMinMs: summarize(enc, 'queue-completion').min,
      gpuMs: gpu.length ? summarize(gpu, 'timestamp-query').median : null,
      gpuMethod: gpu.length ? 'timestamp-query' : 'none (no timestamp-query): wall - CPU',
      msPerStepSubmitEach: summarize(each, 'queue-completion').median,
      compileMs,
      lossFirst,
      lossLast,
      topKernels: top,
      profileMethod: prof[0]?.method ?? 'none',
    };
  } finally {
    s.g.destroy();
  }
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

export function formatReports(ctx: GpuContext, rs: StepReport[]): string {
  const a = ctx.info;
  const lines = [
    `adapter: ${a.vendor} ${a.architecture} ${a.description} (${a.runtime})${a.isFallback ? ' — SwiftShader/CPU fallback: a correctness vehicle, not a GPU figure' : ''}`,
    'optimizer: plain SGD as graph ops (w <- w - lr*g): the graph alone (AdamW: bench/lm-train-step.ts)',
    '',
  ];
  for (const r of rs) {
    const gpu = r.gpuMs ?? r.msPerStep - r.encodeMs - r.submitCallMs;
    lines.push(
      `${r.name}  (${r.params} params, compile ${r.compileMs.toFixed(0)} ms, loss ${r.lossFirst.toFixed(4)} -> ${r.lossLast.toFixed(4)})`,
      `  dispatches/step ${r.dispatchesPerStep} (${r.kernels} kernels)   submits/step ${r.submitsPerStep}`,
      `  temporaries ${kib(r.tempBytes)} (without reuse ${kib(r.tempBytesWithoutReuse)}, ratio ${(r.tempBytesWithoutReuse / r.tempBytes).toFixed(2)}x)   params+inputs ${kib(r.persistentBytes)}   uniforms ${kib(r.uniformBytes)}`,
      `  ms/step ${r.msPerStep.toFixed(2)}   CPU: encode ${r.encodeMs.toFixed(3)} ms (min ${r.encodeMinMs.toFixed(3)}, ${((100 * r.encodeMs) / r.msPerStep).toFixed(2)}% of the step), submit call ${r.submitCallMs.toFixed(3)} ms   GPU ${gpu.toFixed(2)} ms [${r.gpuMethod}]`,
      `  one submit per dispatch instead: ${r.msPerStepSubmitEach.toFixed(2)} ms/step (${(r.msPerStepSubmitEach / r.msPerStep).toFixed(2)}x the executor's step)`,
      `  top kernels (each dispatch alone, ${r.profileMethod}): ` + r.topKernels.map((k) => `${k.kernel} x${k.dispatches} ${k.ms.toFixed(1)} ms (${(100 * k.share).toFixed(0)}%)`).join(', '),
      '',
    );
  }
  return lines.join('\n');
}

export async function benchGraph(ctx: GpuContext, o: GraphBenchOptions = {}): Promise<StepReport[]> {
  const reps = o.reps ?? (o.quick ? 3 : 10);
  const out: StepReport[] = [];
  const m = mlpStep(ctx, 128, [64, 256, 256, 10]);
  out.push(await measure(m.g.label, m, reps));
  const b = o.quick ? blockStep(ctx, 2, 16, 64, 4) : blockStep(ctx, 4, 32, 64, 4);
  out.push(await measure(b.g.label, b, reps));
  return out;
}
