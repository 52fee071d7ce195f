// Pretraining a Llama-family model from scratch on a text (nibble lm pretrain): the model is the one definition
// (src/nn/llama.ts) on the autograd graph (src/nn/llama_train.ts), AdamW on the GPU in the same submit as the
// backward (src/train/optimizer.ts), linear warmup then cosine decay, global-norm clipping. Batch k is a function of
// the seed and k (src/data/text.ts), so a run is reproducible; with gradient accumulation (gradAccum g) step s
// averages the gradients of batches s*g .. s*g + g - 1. Validation: the mean loss over a fixed set of
// validation windows, in nats per byte.
import { natsPerByte, validationBatches, WindowSampler, type TextDataset } from '../data/text.js';
import type { GpuContext } from '../gpu/context.js';
import { buildLlamaTrainGraph, IGNORE_INDEX, readLlamaWeights, type LlamaWeights } from '../nn/llama_train.js';
import { initLlamaWeights, llamaConfig } from '../nn/llama_weights.js';
import { LLAMA_ARCHS, type LlamaArch, type LlamaConfig } from '../nn/llama_config.js';
import { MOE_MAX_EXPERTS } from '../kernels/moe_route.js';
import { TrainingError, type GraphTrainer } from '../train/graph_trainer.js';
import { recipeDifference, train, type TrainStep } from '../train/loop.js';
import { warmupCosine } from '../train/schedule.js';

export class PretrainError extends Error {}

/** The committed recipe (configs/*.json): model shape, batch, schedule. */
export interface PretrainConfig {
  /** arch: any of LLAMA_ARCHS but the Mamba-2 models, qwen35, qwen35moe and qwen3next (default llama); headDim: default dim / heads; slidingWindow: the Gemmas', cohere2's and gpt-oss's (default 512 for gemma3, cohere2 and gpt-oss, 4096 for gemma2; at least seq). */
  model: { arch?: LlamaArch; dim: number; layers: number; heads: number; kvHeads?: number; headDim?: number; ffn: number; ctx: number; slidingWindow?: number; /** lfm2 (required there): the kernel length and one flag a layer, true for a short convolution. */ shortConv?: { taps: number; conv: boolean[] }; /** llama (Mixtral), granite and the MoE architectures (required there): experts of width ffn, `used` a token; qwen2moe's, granite's and ernie4_5-moe's shared expert of sharedFfn; lfm2moe's and ernie4_5-moe's denseLead leading dense layers; ernie4_5-moe's selection bias (selectionBias true). */ moe?: { experts: number; used: number; ffn: number; sharedFfn?: number; denseLead?: number; selectionBias?: true } };
  batch: number;
  /** Tokens per window (<= model.ctx). */
  seq: number;
  steps: number;
  lr: number;
  warmupSteps: number;
  minLr: number;
  weightDecay: number;
  /** Global gradient-norm bound (0: none). */
  clipNorm: number;
  seed: number;
  /** Validation windows (fixed, evenly spread over the validation split). */
  valWindows: number;
  /** Validate every this many steps (0: only at the end). */
  evalEvery: number;
  /** Gradient accumulation: micro-batches of `batch` windows per step (default 1). */
  gradAccum?: number;
}

const positiveInts = ['batch', 'seq', 'steps', 'valWindows'] as const;

/** Checks a parsed JSON recipe; every error names the field. */
export function checkPretrainConfig(c: PretrainConfig, vocab: number): LlamaConfig {
  for (const k of positiveInts) if (!Number.isInteger(c[k]) || c[k] < 1) throw new PretrainError(`pretrain config: '${k}' must be an integer >= 1, found ${JSON.stringify(c[k])}`);
  for (const k of ['lr', 'minLr', 'weightDecay', 'clipNorm'] as const) if (!(typeof c[k] === 'number' && c[k] >= 0)) throw new PretrainError(`pretrain config: '${k}' must be a number >= 0, found ${JSON.stringify(c[k])}`);
  for (const k of ['warmupSteps', 'seed', 'evalEvery'] as const) if (!Number.isInteger(c[k]) || c[k] < 0) throw new PretrainError(`pretrain config: '${k}' must be an integer >= 0, found ${JSON.stringify(c[k])}`);
  if (c.gradAccum !== undefined && !(Number.isInteger(c.gradAccum) && c.gradAccum >= 1)) throw new PretrainError(`pretrain config: 'gradAccum' must be an integer >= 1, found ${JSON.stringify(c.gradAccum)}`);
  if (!c.model || typeof c.model !== 'object') throw new PretrainError(`pretrain config: 'model' is missing`);
  for (const k of ['dim', 'layers', 'heads', 'ffn', 'ctx'] as const) if (!Number.isInteger(c.model[k]) || c.model[k] < 1) throw new PretrainError(`pretrain config: 'model.${k}' must be an integer >= 1, found ${JSON.stringify(c.model[k])}`);
  if (c.model.arch !== undefined && !(LLAMA_ARCHS as readonly string[]).includes(c.model.arch)) throw new PretrainError(`pretrain config: 'model.arch' must be one of ${LLAMA_ARCHS.join(', ')}, found ${JSON.stringify(c.model.arch)}`);
  if (c.model.arch === 'granitehybrid' || c.model.arch === 'falcon-h1' || c.model.arch === 'nemotron_h' || c.model.arch === 'mamba2') throw new PretrainError(`pretrain config: 'model.arch' ${c.model.arch} runs for inference only (its Mamba-2 layers have no backward rules here)`);
  if (c.model.arch === 'qwen35' || c.model.arch === 'qwen35moe' || c.model.arch === 'qwen3next') throw new PretrainError(`pretrain config: 'model.arch' ${c.model.arch} runs for inference only (its Gated DeltaNet layers have no backward rules here)`);
  if (c.seq > c.model.ctx) throw new PretrainError(`pretrain config: 'seq' ${c.seq} exceeds 'model.ctx' ${c.model.ctx}`);
  const sw = c.model.slidingWindow;
  if (sw !== undefined) {
    if (c.model.arch !== 'gemma3' && c.model.arch !== 'gemma2' && c.model.arch !== 'cohere2' && c.model.arch !== 'gpt-oss') throw new PretrainError(`pretrain config: 'model.slidingWindow' is the Gemmas', cohere2's and gpt-oss's (model.arch is ${JSON.stringify(c.model.arch ?? 'llama')})`);
    if (!Number.isInteger(sw) || sw < 1) throw new PretrainError(`pretrain config: 'model.slidingWindow' must be an integer >= 1, found ${JSON.stringify(sw)}`);
  }
  const scv = c.model.shortConv;
  if (scv !== undefined && !(scv && typeof scv === 'object' && Number.isInteger(scv.taps) && Array.isArray(scv.conv) && scv.conv.every((b) => typeof b === 'boolean'))) throw new PretrainError(`pretrain config: 'model.shortConv' must be { taps: integer, conv: [bool, ...] }, found ${JSON.stringify(scv)}`);
  const moe = c.model.moe;
  if (moe !== undefined) {
    if (!moe || typeof moe !== 'object') throw new PretrainError(`pretrain config: 'model.moe' must be { experts, used, ffn[, sharedFfn, denseLead, selectionBias] }, found ${JSON.stringify(moe)}`);
    for (const k of ['experts', 'used', 'ffn'] as const) if (!Number.isInteger(moe[k]) || moe[k] < 1) throw new PretrainError(`pretrain config: 'model.moe.${k}' must be an integer >= 1, found ${JSON.stringify(moe[k])}`);
    if (moe.sharedFfn !== undefined && !(Number.isInteger(moe.sharedFfn) && moe.sharedFfn >= 1)) throw new PretrainError(`pretrain config: 'model.moe.sharedFfn' must be an integer >= 1, found ${JSON.stringify(moe.sharedFfn)}`);
    if (moe.denseLead !== undefined && !(Number.isInteger(moe.denseLead) && moe.denseLead >= 0)) throw new PretrainError(`pretrain config: 'model.moe.denseLead' must be an integer >= 0, found ${JSON.stringify(moe.denseLead)}`);
    if (moe.selectionBias !== undefined && moe.selectionBias !== true) throw new PretrainError(`pretrain config: 'model.moe.selectionBias' must be true (or absent: no selection bias), found ${JSON.stringify(moe.selectionBias)}`);
    if (moe.experts > MOE_MAX_EXPERTS || moe.used > moe.experts) throw new PretrainError(`pretrain config: 'model.moe' has ${moe.used} of ${moe.experts} experts a token (at most ${MOE_MAX_EXPERTS} experts, and no more used than there are)`);
  }
  const config = llamaConfig({ ...c.model, vocab });
  if (config.swa && c.seq > config.swa.window) throw new PretrainError(`pretrain config: 'seq' ${c.seq} exceeds 'model.slidingWindow' ${config.swa.window} (training attends over the whole window of 'seq' tokens)`);
  return config;
}

export type PretrainStep = TrainStep;

export interface PretrainResult {
  config: LlamaConfig;
  weights: LlamaWeights;
  /** Training loss (nats per token) of every step. */
  losses: number[];
  /** Validation loss in nats per byte at the end, and at each evaluation (step, loss). */
  valLoss: number;
  evals: { step: number; valLoss: number }[];
  /** Median step time (from the third step on) and the tokens per second it gives. */
  msPerStep: number;
  tokensPerSec: number;
}

/** Trains `c` (a fresh model from its seed, or `weights`) on `data` for c.steps (or o.steps) steps. */
export async function pretrainLlama(ctx: GpuContext, c: PretrainConfig, data: TextDataset, vocab: number, o: { steps?: number; weights?: LlamaWeights; onStep?: (s: PretrainStep) => void; onEval?: (step: number, valLoss: number, read: () => Promise<LlamaWeights>) => void | Promise<void>; /** A checkpoint of this recipe to continue from (exact resume). */ resume?: Uint8Array; /** Called with a checkpoint at each evaluation before the last; what it returns names it if a later step stops on a non-finite loss. */ onCheckpoint?: (bytes: Uint8Array, step: number) => void | string | Promise<void | string> } = {}): Promise<PretrainResult> {
  const config = checkPretrainConfig(c, vocab);
  const total = o.steps ?? c.steps;
  if (!Number.isInteger(total) || total < 1) throw new PretrainError(`pretrain: steps ${total} must be an integer >= 1`);
  const B = c.batch;
  const T = c.seq;
  const k = c.gradAccum ?? 1;
  const sampler = new WindowSampler(data, B, T, c.seed);
  const valBatches = validationBatches(data, B, T, c.valWindows, IGNORE_INDEX);
  const t = buildLlamaTrainGraph(ctx, config, o.weights ?? initLlamaWeights(config, c.seed), { B, T, label: 'llama-pretrain' });
  try {
    // gradAccum 1 is written as absent, so checkpoints of recipes from before accumulation still match.
    const { gradAccum: _g, ...rest } = c;
    const recipe = JSON.stringify({ ...rest, ...(k > 1 ? { gradAccum: k } : {}), steps: total });
    const warm = Math.min(c.warmupSteps, total - 1);
    const validate = (tr: GraphTrainer) => validationLoss(tr, valBatches, data);
    const r = await train(ctx, t, {
      steps: total,
      lr: warmupCosine({ lr: c.lr, warmupSteps: warm, totalSteps: Math.max(total, 1 + warm), minLr: Math.min(c.minLr, c.lr) }),
      batches: (step) => sampler.microBatches(step, k),
      accumulate: k,
      weightDecay: c.weightDecay,
      clipNorm: c.clipNorm,
      tokensPerStep: k * B * T,
      evalEvery: c.evalEvery,
      evaluate: validate,
      resume: o.resume,
      checkResume: (meta) => {
        const diff = recipeDifference(meta.recipe, recipe);
        if (diff) throw new PretrainError(`pretrain: the checkpoint is of another recipe (${diff})`);
      },
      checkpointMeta: { recipe },
      onStep: o.onStep,
      onEval: (step, v) => o.onEval?.(step, v, () => readLlamaWeights(t)),
      onCheckpoint: o.onCheckpoint,
      after: async (tr) => {
        const valLoss = await validate(tr);
        await o.onEval?.(total, valLoss, () => readLlamaWeights(t));
        return { valLoss, weights: await readLlamaWeights(t) };
      },
    }).catch((e: unknown) => {
      throw e instanceof TrainingError ? new PretrainError(`pretrain: ${e.message.replace(/^train: /, '')}`) : e;
    });
    const evals = [...r.evals.map((e) => ({ step: e.step, valLoss: e.value })), { step: total, valLoss: r.after.valLoss }];
    return { config, weights: r.after.weights, losses: r.losses, valLoss: r.after.valLoss, evals, msPerStep: r.msPerStep, tokensPerSec: r.tokensPerSec };
  } finally {
    t.graph.destroy();
  }
}

/** Mean cross-entropy over the fixed validation batches (targets IGNORE_INDEX skipped), in nats per byte. */
export async function validationLoss(tr: Pick<GraphTrainer, 'evaluate'>, batches: readonly { ids: Int32Array; targets: Int32Array }[], data: Pick<TextDataset, 'tokensPerByte'>): Promise<number> {
  let sum = 0;
  let count = 0;
  for (const v of batches) {
    const n = v.targets.reduce((a, y) => a + (y === IGNORE_INDEX ? 0 : 1), 0);
    sum += (await tr.evaluate({ ids: v.ids, targets: v.targets }))[0] * n;
    count += n;
  }
  return natsPerByte(sum / count, data);
}
