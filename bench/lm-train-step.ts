// The bundled language model's training step, split by kernel: the f32 step of `nibble lm pretrain` / `lm qat`
// (buildLlamaTrainGraph + GraphTrainer: forward, backward, grad-norm clipping and AdamW in one submit) and the QAT
// step (W4 g32 fake-quant on every Linear, prepareLinears), at batch 8 x seq 64 on shakespeare-f32.gguf.
// --method ste|static|lsq: the QAT step's quantizer (default ste, the dynamic rule; static is `nibble lm qat`'s
// default at 4 bits: the rule's scales of the start model, frozen).
// Prints ms/step (median over interleaved rounds of f32 and QAT steps, GraphTrainer.step's wall time),
// dispatches/step (the graph's plus the optimizer's) and the top kernels by summed time when each dispatch runs
// alone (Executable.profile: timestamp-query where the adapter has it, else wall time to queue completion, which on
// SwiftShader includes a submit's fixed cost per dispatch). Asserts nothing about time.
// --group on|sum|off: products that share an operand as one dispatch, only the summed input gradients, or none
// (default: the adapter's tuning, matmulF32.group: on for GPUs, sum for SwiftShader). --tuning '{"matmulF32":{...}}': tuning fields laid over the
// adapter's table entry (as run-matmul's), --group on top. --compare JSON: two more trainers (f32 and QAT) compiled
// with those tuning fields laid over the run's, interleaved with the others in the same rounds (an A/B in one
// process, where separate runs move by 10-30% on SwiftShader), e.g. --compare '{"matmulF32":{"group":true}}'.
//   npm run build && node dist/bench/lm-train-step.js [--method ste|static|lsq] [--rounds 5] [--steps 4] [--batch 8] [--seq 64] [--top 12] [--profiles 3] [--group on|sum|off] [--tuning JSON] [--compare JSON] [--model F32.gguf] [--json FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createNodeContext } from '../runtime/node.js';
import { packageRoot } from '../runtime/headless.js';
import { textDataset, WindowSampler } from '../src/data/text.js';
import type { GpuContext } from '../src/gpu/context.js';
import { parseGgufFile } from '../src/io/gguf.js';
import { buildLlamaTrainGraph, llamaLinears, type LlamaTrainGraph, type LlamaWeights } from '../src/nn/llama_train.js';
import type { LlamaConfig } from '../src/nn/llama_config.js';
import { llamaWeightsFromGguf } from '../src/nn/llama_weights.js';
import { GraphTrainer } from '../src/train/graph_trainer.js';
import { initLsqScales, prepareLinears } from '../src/train/qat_plan.js';
import { layOver, setTuningOverride, type TuningOverride } from '../src/kernels/tuning.js';
import { Tokenizer } from '../src/tokenizer/index.js';
import { median } from '../src/gpu/timing.js';

const { values } = parseArgs({
  options: { method: { type: 'string' }, group: { type: 'string' }, tuning: { type: 'string' }, compare: { type: 'string' }, rounds: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' }, seq: { type: 'string' }, top: { type: 'string' }, profiles: { type: 'string' }, model: { type: 'string' }, json: { type: 'string' } },
  strict: true,
});
const method = (values.method ?? 'ste') as 'ste' | 'static' | 'lsq';
if (!['ste', 'static', 'lsq'].includes(method)) throw new Error(`--method takes ste, static or lsq, got '${values.method}'`);
if (values.group !== undefined && !['on', 'sum', 'off'].includes(values.group)) throw new Error(`--group takes on, sum or off, got '${values.group}'`);
const laid = values.tuning ? (JSON.parse(values.tuning) as TuningOverride) : {};
if (values.group) laid.matmulF32 = { ...laid.matmulF32, group: values.group === 'sum' ? 'sum' : values.group === 'on' };
const compared = values.compare ? (JSON.parse(values.compare) as TuningOverride) : undefined;
/** The tuning a trainer compiles under: the run's, or with --compare's fields laid over it. */
const tuningOf = (alt: boolean): TuningOverride => (alt && compared ? layOver(laid, compared) : laid);
setTuningOverride(laid);
const rounds = Number(values.rounds ?? 5);
const stepsPerRound = Number(values.steps ?? 4);
const B = Number(values.batch ?? 8);
const T = Number(values.seq ?? 64);
const topN = Number(values.top ?? 12);
const PROFILES = Number(values.profiles ?? 3);
for (const [k, v] of Object.entries({ rounds, steps: stepsPerRound, batch: B, seq: T, profiles: PROFILES })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`lm-train-step: --${k} must be a positive integer, got ${v}`);
}
const modelPath = values.model ?? join(packageRoot(), 'demo/public/models/shakespeare-f32.gguf');
const file = parseGgufFile(readFileSync(modelPath), modelPath);
const model = llamaWeightsFromGguf(file);
const data = textDataset(readFileSync(join(packageRoot(), 'demo/public/data/tinyshakespeare.txt'), 'utf8'), Tokenizer.fromGguf(file.metadata));
const sampler = new WindowSampler(data, B, T, 0);
const LR = 3e-4;
const TRAIN = { lr: LR, weightDecay: 0, clipNorm: 1 };

type Variant = 'f32' | 'qat';
/** A trainer of the run: f32 or QAT, compiled under the run's tuning or --compare's (alt). */
interface Run {
  v: Variant;
  alt: boolean;
}
const runName = (r: Run) => `${r.v === 'f32' ? 'f32' : `QAT W4 g32 (fake-quant, ${{ ste: 'STE', static: 'static scales', lsq: 'LSQ' }[method]})`}${r.alt ? ` with ${values.compare}` : ''}`;
const build = (ctx: GpuContext, v: Variant, c: LlamaConfig, w: LlamaWeights): LlamaTrainGraph =>
  buildLlamaTrainGraph(ctx, c, w, { B, T, label: `lm-train-${v}`, ...(v === 'qat' ? qatPlan(c, w) : {}) });
const qatPlan = (c: LlamaConfig, w: LlamaWeights) => {
  const quant = prepareLinears(llamaLinears(c), { bits: 4, group: 32, method });
  return { quant, lsqScales: initLsqScales(quant, llamaLinears(c), w) };
};

/** Kernel family: the kernel's name without its specialisation (the part before '[' or '('). */
const family = (kernel: string) => kernel.split(/[[(<{ ]/)[0];

interface Profile {
  dispatches: number;
  graphDispatches: number;
  optimizerDispatches: number;
  profileMs: number;
  method: string;
  families: { family: string; dispatches: number; ms: number; share: number }[];
  ops: { op: string; dispatches: number; ms: number; share: number }[];
}

/** The step as GraphTrainer compiles it (same backward, same dense gradients), each dispatch timed alone. */
async function profileStep(ctx: GpuContext, run: Run): Promise<Profile> {
  setTuningOverride(tuningOf(run.alt));
  const t = build(ctx, run.v, model.config, model.weights);
  try {
    // The trainer's own step and optimizer (params and gradients in arenas where the tuning's optimizer.flat says).
    const tr = await GraphTrainer.create(ctx, t, TRAIN);
    const exe = tr.stepExecutable;
    const opt = tr.optimizer;
    try {
      const feeds = sampler.batch(0);
      await exe.run(feeds);
      await exe.run(feeds);
      // Each dispatch's median over `profiles` profiled runs (the first ones pay SwiftShader's lazy compiles).
      await ctx.idle();
      const runs: Awaited<ReturnType<typeof exe.profile>>[] = [];
      for (let i = 0; i < PROFILES; i++) runs.push(await exe.profile());
      const prof = runs[0].map((p, j) => ({ ...p, ms: median(runs.map((r) => r[j].ms)) }));
      // The optimizer (grad-norm clipping + one AdamW per param) in one pass of its own, after a run.
      let optDispatches = 0;
      const optRuns: number[] = [];
      for (let i = 0; i < PROFILES; i++) {
        opt.prepare(LR);
        await exe.run(feeds);
        await ctx.idle();
        let n = 0;
        const a = performance.now();
        await ctx.submit(['adamw'], (enc) => {
          const pass = enc.beginComputePass({ label: 'adamw' });
          // Counts the optimizer's dispatches as it encodes them.
          const counting = new Proxy(pass, {
            get: (p, k) => {
              if (k === 'dispatchWorkgroups') return (...a: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) => (n++, p.dispatchWorkgroups(...a));
              const x = Reflect.get(p, k);
              return typeof x === 'function' ? x.bind(p) : x;
            },
          });
          opt.encode(counting);
          pass.end();
        });
        await ctx.idle();
        optRuns.push(performance.now() - a);
        opt.advance();
        optDispatches = n;
      }
      const optMs = median(optRuns);
      const rows = [...prof.map((p) => ({ family: family(p.kernel), op: p.op, ms: p.ms, n: 1 })), { family: 'optimizer (clip + adamw, one pass)', op: 'optimizer', ms: optMs, n: optDispatches }];
      const total = rows.reduce((s, r) => s + r.ms, 0);
      const group = (key: 'family' | 'op') => {
        const m = new Map<string, { ms: number; n: number }>();
        for (const r of rows) {
          const e = m.get(r[key]) ?? { ms: 0, n: 0 };
          e.ms += r.ms;
          e.n += r.n;
          m.set(r[key], e);
        }
        return [...m].sort((x, y) => y[1].ms - x[1].ms).map(([k, e]) => ({ k, dispatches: e.n, ms: e.ms, share: e.ms / total }));
      };
      return {
        dispatches: exe.stats.dispatchesPerRun + optDispatches,
        graphDispatches: exe.stats.dispatchesPerRun,
        optimizerDispatches: optDispatches,
        profileMs: total,
        method: prof[0]?.method ?? 'none',
        families: group('family').map(({ k, ...r }) => ({ family: k, ...r })),
        ops: group('op').map(({ k, ...r }) => ({ op: k, ...r })),
      };
    } finally {
      tr.destroy();
    }
  } finally {
    t.graph.destroy();
  }
}

const ctx = await createNodeContext();
const adapter = `${ctx.info.vendor} ${ctx.info.architecture} ${ctx.info.description}${ctx.info.isFallback ? ' (SwiftShader/CPU fallback: a correctness vehicle, not a GPU figure)' : ''}`;
console.log(`lm train step: ${modelPath}, batch ${B} x seq ${T}, AdamW + clip 1, ${rounds} interleaved rounds of ${stepsPerRound} steps; ${adapter}`);
try {
  const runs: Run[] = [false, ...(compared ? [true] : [])].flatMap((alt) => (['f32', 'qat'] as Variant[]).map((v) => ({ v, alt })));
  const trainers = new Map<Run, { t: LlamaTrainGraph; tr: GraphTrainer; ms: number[]; losses: number[]; step: number }>();
  for (const run of runs) {
    setTuningOverride(tuningOf(run.alt));
    const t = build(ctx, run.v, model.config, model.weights);
    const tr = await GraphTrainer.create(ctx, t, TRAIN);
    // Two warm-up steps (pipeline compiles), not timed.
    for (let s = 0; s < 2; s++) await tr.step(sampler.batch(s), LR);
    trainers.set(run, { t, tr, ms: [], losses: [], step: 2 });
  }
  for (let r = 0; r < rounds; r++) {
    for (const run of runs) {
      const e = trainers.get(run)!;
      for (let s = 0; s < stepsPerRound; s++) {
        const { loss, ms } = await e.tr.step(sampler.batch(e.step++), LR);
        e.ms.push(ms);
        e.losses.push(loss);
      }
    }
  }
  for (const e of trainers.values()) {
    e.tr.destroy();
    e.t.graph.destroy();
  }
  const out: Record<string, unknown> = { adapter: ctx.info, model: modelPath, B, T, rounds, stepsPerRound, ...(compared ? { compare: compared } : {}) };
  for (const run of runs) {
    const e = trainers.get(run)!;
    const p = await profileStep(ctx, run);
    const ms = median(e.ms);
    out[run.alt ? `${run.v}_compare` : run.v] = { msPerStep: ms, stepMs: e.ms, losses: e.losses, ...p };
    console.log(`\n${runName(run)}: ${ms.toFixed(1)} ms/step (median of ${e.ms.length}; min ${Math.min(...e.ms).toFixed(1)}), dispatches/step ${p.dispatches} (graph ${p.graphDispatches} + optimizer ${p.optimizerDispatches})`);
    console.log(`  each dispatch alone (${p.method}): ${p.profileMs.toFixed(1)} ms summed`);
    console.log(`  | kernel family | dispatches | ms | share |\n  | --- | ---: | ---: | ---: |`);
    for (const f of p.families.slice(0, topN)) console.log(`  | ${f.family} | ${f.dispatches} | ${f.ms.toFixed(1)} | ${(100 * f.share).toFixed(1)}% |`);
    console.log(`  by graph op: ${p.ops.slice(0, topN).map((o) => `${o.op} x${o.dispatches} ${(100 * o.share).toFixed(0)}%`).join(', ')}`);
    console.log(`  losses: ${e.losses.slice(0, 6).map((l) => l.toFixed(6)).join(' ')} ...`);
  }
  if (compared) {
    for (const v of ['f32', 'qat'] as Variant[]) {
      const [a, b] = [false, true].map((alt) => median(trainers.get(runs.find((r) => r.v === v && r.alt === alt)!)!.ms));
      console.log(`${v}: ${a.toFixed(1)} -> ${b.toFixed(1)} ms/step with ${values.compare} (${(a / b).toFixed(2)}x)`);
    }
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(out, null, 2));
} finally {
  ctx.destroy();
}
