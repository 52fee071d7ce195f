// The runner of `nibble bench --filter generate` (Node side): writes the synthetic models to a temp folder (once;
// reused by later runs), measures nibble (Dawn in Node, or the headless page with --browser) and llama.cpp through
// node-llama-cpp on the very same files and prompt ids, and scores every engine's greedy tokens against llama.cpp's.
import { existsSync, mkdirSync, openAsBlob, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Token } from 'node-llama-cpp';
import { gguf, openGguf, type GgufSource } from '../src/io/gguf.js';
import { spmByteVocab, synthLlamaGguf, type SynthOptions } from '../src/lm/synth.js';
import { isShortConvKernel } from '../src/nn/llama_config.js';
import { createNodeContext } from '../runtime/node.js';
import { packageRoot } from '../runtime/headless.js';
import { emptyRow, finishReport, measureNibble, promptIds, type GenModelInfo, type GenReport, type GenRow } from './generate.js';
import { browserGenerate } from './generate-browser.js';

export interface GenerateBenchOptions {
  /** The bundled model only, few tokens (CI smoke: well under a minute on SwiftShader). */
  quick?: boolean;
  /** Also the Llama-3.2-1B shape (Q4_0, about 0.7 GB: for a GPU). */
  large?: boolean;
  browser?: boolean;
  /** Leave out the peers (llama.cpp is then still run as the judge of greedy agreement, but not reported). */
  noPeers?: boolean;
  /** Also llama.cpp's GPU build of that backend (node-llama-cpp's prebuilt, every layer on the GPU) as a peer row. */
  llamaGpu?: LlamaGpu;
  /** Prompt tokens and generated tokens for every model (defaults per model below). */
  promptTokens?: number;
  decodeTokens?: number;
  /** Only the models whose name contains one of these (default: all of the run's). */
  models?: string[];
  /** Folder for the synthetic GGUF files (default: $TMPDIR/nibble-bench-lm). */
  cacheDir?: string;
  log?: (line: string) => void;
}

/** The GPU backends node-llama-cpp ships prebuilt builds of. */
export const LLAMA_GPUS = ['vulkan', 'cuda', 'metal'] as const;
export type LlamaGpu = (typeof LLAMA_GPUS)[number];

/** The engine name of llama.cpp's row: its CPU build, or a GPU build. */
export const llamaEngine = (gpu: LlamaGpu | false) => `llama.cpp (node-llama-cpp ${gpu ? `${gpu}` : 'CPU'})`;

export interface GenModelSpec {
  name: string;
  /** Written by synthLlamaGguf into the cache folder; absent for the bundled file. */
  synth?: SynthOptions;
  promptTokens: number;
  decodeTokens: number;
}

/** A byte-level SPM vocabulary padded to `size` tokens with dummy pieces (real vocabularies' output-layer cost). */
export function paddedVocab(size: number): SynthOptions['vocab'] {
  const extra = Array.from({ length: size - 259 }, (_, i) => ({ text: `\u2581p${i}`, score: -1 - i }));
  return spmByteVocab(extra);
}

const LLAMA_134M = { dim: 768, layers: 12, heads: 12, ffn: 2048, ctx: 2048, seed: 100 } as const;

/** LFM2-350M's layout (Liquid's on-device hybrid): 16 layers, attention at 2, 5, 8, 10, 12 and 14, short convolutions elsewhere. */
const LFM2_350M: SynthOptions = {
  arch: 'lfm2', dim: 1024, layers: 16, heads: 16, kvHeads: 8, ffn: 4608, ctx: 2048, ropeBase: 1000000, tied: true, seed: 200,
  shortConv: { taps: 3, conv: Array.from({ length: 16 }, (_, l) => ![2, 5, 8, 10, 12, 14].includes(l)) },
};

/**
 * Qwen3-30B-A3B's mixture of experts (128 experts, 8 a token, SwiGLUs of 768 at dim 2048, 48 layers) at a quarter of
 * its width and a twelfth of its depth: dim 512, 4 layers, experts of 192; 151M expert parameters, 9.4M of them a token.
 */
const QWEN3_MOE_SMALL: SynthOptions = { arch: 'qwen3moe', dim: 512, layers: 4, heads: 8, kvHeads: 2, ffn: 1536, ctx: 2048, ropeBase: 1000000, seed: 300, moe: { experts: 128, used: 8, ffn: 192 } };

/**
 * Granite 4.0 H-350M's Mamba-2 hybrid at its width (dim 768, Mamba-2 mixers of 48 heads of 32 with a state of 128, one
 * group; an attention layer every eighth of 32, no RoPE; SwiGLU of 2048; vocabulary 100352, tied): the scan's cost
 * against llama.cpp's.
 */
const GRANITE4H_350M: SynthOptions = {
  arch: 'granitehybrid', dim: 768, layers: 32, heads: 12, kvHeads: 4, ffn: 2048, ctx: 2048, tied: true, seed: 400,
  multipliers: { embedding: 12, residual: 0.246, attention: 0.0078125, logit: 3 }, metadata: { 'granitehybrid.rope.scaling.finetuned': gguf.bool(false) },
  ssm: { taps: 4, state: 128, heads: 48, groups: 1, layers: Array.from({ length: 32 }, (_, l) => l % 8 !== 7) },
};

/**
 * Qwen3.5-0.8B's hybrid at its width and depth (dim 1024, 24 layers: 18 Gated DeltaNet layers of 16 key / 16 value
 * heads of 128 with a conv of 4, and every fourth layer gated attention of 8 / 2 heads of 256 rotating 64 dims;
 * SwiGLU of 3584; tied), its 248k vocabulary cut to 32k so SwiftShader's head stays small: the recurrence's cost.
 */
const QWEN35_08B: SynthOptions = {
  arch: 'qwen35', dim: 1024, layers: 24, heads: 8, kvHeads: 2, headDim: 256, ropeDims: 64, ffn: 3584, ctx: 2048, ropeBase: 10000000, tied: true, seed: 600,
  deltaNet: { taps: 4, state: 128, kHeads: 16, vHeads: 16, layers: Array.from({ length: 24 }, (_, l) => (l + 1) % 4 !== 0) },
};

/** gpt-oss's layout (sinks, alternate 128-position windows, YaRN, 32 biased experts, 4 a token) at dim 512, 4 layers, its experts MXFP4. */
const GPT_OSS_SMALL: SynthOptions = {
  arch: 'gpt-oss', dim: 512, layers: 4, heads: 8, kvHeads: 2, headDim: 64, ffn: 512, ctx: 2048, seed: 500, qkvBias: true, slidingWindow: 128,
  yarn: { factor: 32, origCtx: 4096 }, moe: { experts: 32, used: 4, ffn: 512 },
  types: Object.fromEntries([0, 1, 2, 3].flatMap((l) => ['gate', 'up', 'down'].map((t) => [`blk.${l}.ffn_${t}_exps.weight`, 'MXFP4']))),
};

/**
 * The models of a run: the bundled one always; unless quick, a 134M-parameter Llama in Q4_0 and Q4_K, LFM2-350M's
 * hybrid layout in Q4_0 (vocabulary 65536), Qwen3-30B-A3B's experts in a small model (Q4_0, also run with every
 * expert every step: the baseline of the experts' arming), Granite 4.0 H-350M's Mamba-2 hybrid (Q4_0), Qwen3.5-0.8B's
 * Gated DeltaNet hybrid (Q4_0, vocabulary 32k) and gpt-oss's
 * layout with MXFP4 experts (Q8_0 elsewhere); the Llama-3.2-1B shape with large.
 */
export function generateModels(o: GenerateBenchOptions): GenModelSpec[] {
  const P = o.promptTokens;
  const N = o.decodeTokens;
  const models: GenModelSpec[] = [{ name: 'nibble-tiny (bundled, Q8_0)', promptTokens: P ?? (o.quick ? 16 : 96), decodeTokens: N ?? (o.quick ? 8 : 48) }];
  if (o.quick) return models;
  const v32k = paddedVocab(32000);
  for (const t of ['Q4_0', 'Q4_K'] as const) {
    models.push({ name: `llama-134M ${t}`, synth: { ...LLAMA_134M, weightType: t, vocab: v32k }, promptTokens: P ?? 32, decodeTokens: N ?? 8 });
  }
  models.push({ name: 'lfm2-350M-shape Q4_0', synth: { ...LFM2_350M, weightType: 'Q4_0', vocab: paddedVocab(65536) }, promptTokens: P ?? 32, decodeTokens: N ?? 8 });
  models.push({ name: 'qwen3moe-128x8-experts-small Q4_0', synth: { ...QWEN3_MOE_SMALL, weightType: 'Q4_0', vocab: v32k }, promptTokens: P ?? 32, decodeTokens: N ?? 8 });
  models.push({ name: 'granite-4.0-h-350M-shape Q4_0', synth: { ...GRANITE4H_350M, weightType: 'Q4_0', vocab: paddedVocab(100352) }, promptTokens: P ?? 32, decodeTokens: N ?? 8 });
  models.push({ name: 'qwen3.5-0.8B-shape Q4_0 (vocab 32k)', synth: { ...QWEN35_08B, weightType: 'Q4_0', vocab: v32k }, promptTokens: P ?? 32, decodeTokens: N ?? 8 });
  models.push({ name: 'gpt-oss-layout-small MXFP4 experts', synth: { ...GPT_OSS_SMALL, weightType: 'Q8_0', vocab: v32k }, promptTokens: P ?? 32, decodeTokens: N ?? 8 });
  if (o.large) {
    const synth: SynthOptions = { dim: 2048, layers: 16, heads: 32, kvHeads: 8, ffn: 8192, ctx: 2048, tied: true, ropeBase: 500000, weightType: 'Q4_0', vocab: paddedVocab(128256), seed: 1000 };
    models.push({ name: 'llama-3.2-1B-shape Q4_0', synth, promptTokens: P ?? 128, decodeTokens: N ?? 64 });
  }
  return models;
}

function fileName(m: GenModelSpec): string {
  return m.name.replace(/[^A-Za-z0-9.]+/g, '-') + '.gguf';
}

/** The model's file: the bundled one, or the synthetic one written once into the cache folder. */
export function modelFile(m: GenModelSpec, cacheDir: string, log: (l: string) => void): string {
  if (!m.synth) return join(packageRoot(), 'demo/public/models/nibble-tiny.gguf');
  const path = join(cacheDir, fileName(m));
  if (!existsSync(path)) {
    log(`writing ${path} (seeded random weights; once)`);
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(path + '.part', synthLlamaGguf({ ...m.synth, metadata: { 'general.name': gguf.str(m.name) } }));
    renameSync(path + '.part', path);
  }
  return path;
}

async function modelInfo(m: GenModelSpec, path: string): Promise<GenModelInfo> {
  const r = await openGguf((await openAsBlob(path)) as unknown as GgufSource, path);
  const { tensors } = r.header;
  const params = tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  const types = [...new Set(tensors.filter((t) => t.shape.length === 2).map((t) => t.type))].join('+');
  const arch = r.header.metadata['general.architecture']?.value as string;
  // (a per-layer array, as lfm2's head_count_kv: its largest entry)
  const u = (k: string) => {
    const v = r.header.metadata[`${arch}.${k}`];
    return v?.type === 'array' ? Math.max(...v.value.map((x) => Number(x.value))) : Number(v?.value);
  };
  const emb = tensors.find((t) => t.name === 'token_embd.weight')!;
  const conv = tensors.filter((t) => isShortConvKernel(t.name)).length;
  const experts = u('expert_count') ? `, ${u('expert_count')} experts of ${tensors.find((t) => t.name.endsWith('ffn_up_exps.weight'))?.shape[1]} (${u('expert_used_count')} a token)` : '';
  const shape = `${arch} dim ${u('embedding_length')}, ${u('block_count')} layers, ${u('attention.head_count')}/${u('attention.head_count_kv')} heads, ffn ${u('feed_forward_length')}, vocab ${emb.shape[0]}${tensors.some((t) => t.name === 'output.weight') ? '' : ', tied'}${conv ? `, ${conv} of the layers short convolutions` : ''}${experts}`;
  return { name: m.name, shape, weightType: types, params, fileBytes: statSync(path).size, promptTokens: m.promptTokens, decodeTokens: m.decodeTokens };
}

/**
 * llama.cpp (node-llama-cpp 3.21.1's prebuilt CPU build, its default thread count; or with `gpu` its prebuilt build
 * of that backend, every layer offloaded): one warm-up generation, then the timed one, as measureNibble does. CPU
 * time is the whole process's (llama.cpp's threads run in it). A GPU build that finds no GPU device is refused (its
 * layers would run on the CPU under a GPU's name).
 */
async function measureLlamaCpp(model: string, path: string, ids: number[], n: number, gpu: LlamaGpu | false = false): Promise<GenRow> {
  const row = emptyRow(model, llamaEngine(gpu), 'peer', 'node', ids.length, n);
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false });
  let device = '';
  if (gpu) {
    const names = await llama.getGpuDeviceNames();
    if (llama.gpu !== gpu || names.length === 0) throw new Error(`node-llama-cpp's ${gpu} build found no GPU device (backend ${llama.gpu || 'none'}, devices: ${names.join(', ') || 'none'}): not measured`);
    device = `${names.join(', ')}, `;
  }
  const t0 = performance.now();
  const m = await llama.loadModel({ modelPath: path, gpuLayers: gpu ? 'max' : 0 });
  row.loadMs = performance.now() - t0;
  try {
    const size = ids.length + n + 8;
    // F32 KV cache, as nibble keeps on this adapter: llama.cpp's default F16 cache rounds every key and value, which
    // flips near-ties of a random model's logits (on the 134M Q4_0 file the first token's top two are 0.06 apart).
    const context = await m.createContext({ contextSize: size, batchSize: ids.length, sequences: 1, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
    try {
      const seq = context.getSequence();
      const next = { generateNext: { token: true, options: { temperature: 0 } } } as const;
      const tk = (i: number) => i as Token; // node-llama-cpp brands its token ids
      const run = async (count: number, onDecodeStart?: () => void) => {
        await seq.clearHistory();
        const first = await seq.controlledEvaluate([...ids.slice(0, -1).map(tk), [tk(ids[ids.length - 1]), next] as const]);
        let tok = first[ids.length - 1]?.next.token;
        const out: number[] = [];
        onDecodeStart?.();
        for (;;) {
          if (tok == null) throw new Error(`llama.cpp sampled no token after ${out.length} of ${count}`);
          out.push(Number(tok));
          if (out.length === count) return out;
          tok = (await seq.controlledEvaluate([[tok, next] as const]))[0]?.next.token;
        }
      };
      await run(2);
      const tStart = performance.now();
      let tDecode = 0;
      let cpu0 = process.cpuUsage();
      row.ids = await run(n, () => {
        tDecode = performance.now();
        cpu0 = process.cpuUsage();
      });
      const tEnd = performance.now();
      const cpu = process.cpuUsage(cpu0);
      row.timeToFirstTokenMs = tDecode - tStart;
      row.promptTokensPerSecond = ids.length / ((tDecode - tStart) / 1000);
      if (n > 1) {
        row.decodeTokensPerSecond = (n - 1) / ((tEnd - tDecode) / 1000);
        row.cpuMsPerToken = (cpu.user + cpu.system) / 1000 / (n - 1);
      }
      row.note = gpu ? `${device}${m.gpuLayers} layers on the GPU, F32 KV cache; warm` : `${context.currentThreads} threads (node-llama-cpp's default), F32 KV cache; warm`;
    } finally {
      await context.dispose();
    }
  } finally {
    await m.dispose();
  }
  return row;
}

function failed(model: string, engine: string, side: GenRow['side'], runtime: GenRow['runtime'], P: number, N: number, e: unknown): GenRow {
  const row = emptyRow(model, engine, side, runtime, P, N);
  row.status = 'error';
  row.note = (e as Error)?.message ?? String(e);
  return row;
}

/** The whole generation bench: every model, nibble and the peers, one report. */
export async function runGenerateBench(o: GenerateBenchOptions = {}): Promise<GenReport> {
  const log = o.log ?? (() => {});
  const cacheDir = o.cacheDir ?? join(tmpdir(), 'nibble-bench-lm');
  const specs = generateModels(o).filter((m) => !o.models?.length || o.models.some((f) => m.name.includes(f)));
  if (specs.length === 0) throw new Error(`no model of the run matches ${o.models!.map((f) => `'${f}'`).join(', ')} (models: ${generateModels(o).map((m) => m.name).join('; ')})`);
  const files = specs.map((m) => modelFile(m, cacheDir, log));
  const models = await Promise.all(specs.map((m, i) => modelInfo(m, files[i])));
  const rows: GenRow[] = [];
  const judge = new Map<string, number[]>();
  // llama.cpp first: it is the judge of every engine's greedy tokens.
  for (const [i, m] of specs.entries()) {
    const ids = promptIds(m.promptTokens);
    log(`${m.name}: llama.cpp (CPU), prompt ${m.promptTokens}, generate ${m.decodeTokens}`);
    const r = await measureLlamaCpp(m.name, files[i], ids, m.decodeTokens).catch((e) => failed(m.name, llamaEngine(false), 'peer', 'node', ids.length, m.decodeTokens, e));
    if (r.status === 'ok') judge.set(m.name, r.ids);
    if (!o.noPeers) rows.push(r);
    if (o.llamaGpu && !o.noPeers) {
      log(`${m.name}: llama.cpp (${o.llamaGpu})`);
      rows.push(await measureLlamaCpp(m.name, files[i], ids, m.decodeTokens, o.llamaGpu).catch((e) => failed(m.name, llamaEngine(o.llamaGpu!), 'peer', 'node', ids.length, m.decodeTokens, e)));
    }
  }
  let adapter: GenReport['adapter'];
  if (o.browser) {
    const b = await browserGenerate({ specs, files, log });
    adapter = b.adapter;
    rows.push(...b.rows);
  } else {
    const ctx = await createNodeContext();
    const a = ctx.info;
    adapter = { runtime: a.runtime, vendor: a.vendor, architecture: a.architecture, description: a.description, fallback: a.isFallback };
    try {
      for (const [i, m] of specs.entries()) {
        const ids = promptIds(m.promptTokens);
        log(`${m.name}: nibble (${a.runtime})`);
        const src = (await openAsBlob(files[i])) as unknown as GgufSource;
        rows.push(await measureNibble(ctx, m.name, src, ids, m.decodeTokens, 'node').catch((e) => failed(m.name, 'nibble', 'nibble', 'node', ids.length, m.decodeTokens, e)));
        if (m.synth?.moe) {
          // the baseline of the experts' arming: every expert run every step
          const engine = 'nibble, every expert';
          log(`${m.name}: ${engine} (${a.runtime})`);
          rows.push(await measureNibble(ctx, m.name, src, ids, m.decodeTokens, 'node', { engine, denseExperts: true }).catch((e) => failed(m.name, engine, 'nibble', 'node', ids.length, m.decodeTokens, e)));
        }
      }
    } finally {
      ctx.destroy();
    }
  }
  const order = (r: GenRow) => specs.findIndex((s) => s.name === r.model);
  rows.sort((x, y) => order(x) - order(y));
  const judgeName = 'llama.cpp CPU build (node-llama-cpp 3.21.1), greedy, same prompt ids, same file';
  return finishReport({ kind: 'generate', date: new Date().toISOString(), quick: Boolean(o.quick), adapter, judge: judgeName, models, rows }, judge);
}
