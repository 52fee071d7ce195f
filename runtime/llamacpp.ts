// llama.cpp as the judge: next-token probabilities at every position of a prompt, and greedy continuations, from
// node-llama-cpp 3.21.1's prebuilt CPU build. One Llama instance per process; each call loads the model, makes one
// context and disposes both.
//
// The context keeps its KV cache in F32 (node-llama-cpp's default is F16) and flash attention off, so that
// llama.cpp's only departure from an f32 computation is the one its CPU matmuls make on purpose: rounding each
// matmul input to the weight type's vec_dot_type (F16, BF16, Q8_0, Q8_1 or Q8_K; src/ref/llama.ts, cpuActivations).
import { getLlama, LlamaLogLevel, type Llama, type LlamaContextSequence, type Token } from 'node-llama-cpp';

const tk = (id: number) => id as Token; // node-llama-cpp brands its token ids

let llama: Promise<Llama> | null = null;

function instance(): Promise<Llama> {
  llama ??= getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false });
  return llama;
}

async function withSequence<T>(modelPath: string, tokens: number, f: (s: LlamaContextSequence) => Promise<T>): Promise<T> {
  const l = await instance();
  const model = await l.loadModel({ modelPath, gpuLayers: 0 });
  try {
    // Room for every token of the prompt in one batch (all positions' logits from one decode, as a prefill).
    // One slot more than the tokens: with the context exactly full, node-llama-cpp 3.21.1's probabilities at the last
    // position come out different (measured: 3e-2 on a trained model, the other positions within 1e-6).
    const size = Math.max(32, tokens + 1);
    const context = await model.createContext({
      contextSize: size,
      batchSize: size,
      sequences: 1,
      threads: 1,
      flashAttention: false,
      experimentalKvCacheKeyType: 'F32',
      experimentalKvCacheValueType: 'F32',
    });
    try {
      return await f(context.getSequence());
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}

/**
 * llama.cpp's next-token probabilities after each prefix of `ids` from position `from` on: one Float32Array [vocab] per position (softmax
 * of the raw logits: the greedy sampler leaves them as they are).
 */
export async function llamaCppLogits(modelPath: string, ids: number[], from = 0): Promise<Float32Array[]> {
  return withSequence(modelPath, ids.length, async (seq) => {
    const out = await seq.controlledEvaluate(ids.map((id, t) => (t < from ? tk(id) : ([tk(id), { generateNext: { probabilities: true, options: { temperature: 0 } } }] as const))));
    return out.slice(from).map((o, i) => {
      const t = from + i;
      const probs = o?.next.probabilities;
      if (!probs) throw new Error(`llama.cpp gave no probabilities at position ${t}`);
      // Every token of the vocabulary once (the greedy sampler keeps them all): ids 0..size-1.
      const p = new Float32Array(probs.size).fill(NaN);
      for (const [tok, v] of probs) {
        if (!(tok >= 0 && tok < p.length) || !Number.isNaN(p[tok])) throw new Error(`llama.cpp's probabilities at position ${t}: token ${tok} out of 0..${p.length - 1} or repeated`);
        p[tok] = v;
      }
      return p;
    });
  });
}

/** llama.cpp's greedy continuation of `ids`: n token ids (temperature 0: the arg-max at each step). */
export async function llamaCppGreedy(modelPath: string, ids: number[], n: number): Promise<number[]> {
  return withSequence(modelPath, ids.length + n, async (seq) => {
    const next = { generateNext: { token: true, options: { temperature: 0 } } } as const;
    const first = await seq.controlledEvaluate([...ids.slice(0, -1).map(tk), [tk(ids[ids.length - 1]), next] as const]);
    let tok = first[ids.length - 1]?.next.token;
    const out: number[] = [];
    while (out.length < n) {
      if (tok == null) throw new Error(`llama.cpp sampled no token after ${out.length} of ${n}`);
      out.push(Number(tok));
      if (out.length === n) break;
      tok = (await seq.controlledEvaluate([[tok, next] as const]))[0]?.next.token;
    }
    return out;
  });
}

/** Releases llama.cpp (its threads keep a process alive): call once when done. */
export async function disposeLlamaCpp(): Promise<void> {
  if (!llama) return;
  const l = await llama;
  llama = null;
  await l.dispose();
}
