// What each Llama-family architecture fixes of its configuration, whatever its file says (llama_config.ts re-exports
// it): llama.cpp's rope type, the norms, the FFN's activation and gate, biases, the block's shape.
import type { LlamaArch, LlamaConfig } from './llama_config.js';

export type ArchTraits = Pick<LlamaConfig, 'ropeLayout' | 'qkvBias' | 'qkNorm' | 'postNorms' | 'ffnAct' | 'embedScale' | 'qkNormFull' | 'noPreNorms' | 'layerNorm' | 'ffnGateless' | 'linearBiases' | 'parallelBlock' | 'outputBias' | 'normNoBias' | 'fusedQkv' | 'learnedPositions' | 'qkNormAfterRope' | 'attnSinks' | 'rmsNormBias' | 'normNoWeight' | 'embedNorm' | 'attnOutBias'>;

/**
 * What each architecture fixes: llama.cpp's rope type (NORM for llama, smollm3, granite, ernie4_5, mistral3, glm4 and
 * arcee, NEOX for the rest), q/k/v biases (qwen2), per-head q/k norms (qwen3, gemma3, exaone4, lfm2), the Gemmas'
 * GeGLU and scaled embeddings (gemma2's and gemma3's post-norms too), olmo2's post-norms without pre-norms and q/k norms
 * over the whole projection, arcee's gateless FFN, stablelm's LayerNorms, starcoder2's LayerNorms, biases on every
 * Linear and gateless GELU MLP, phi2's the same in a parallel block with a biased head, gptneox's with q / k / v fused
 * (and biased) in its file, and Cohere's parallel block (command-r, cohere2) with bias-free LayerNorms around a SwiGLU.
 */
export function archTraits(a: LlamaArch): ArchTraits {
  const gemma = a === 'gemma2' || a === 'gemma3';
  const gemma1 = a === 'gemma'; // Gemma 1: the Gemmas' GeGLU and scaled embeddings, no post-norms
  const olmo2 = a === 'olmo2';
  const exaone4 = a === 'exaone4'; // olmo2's layout with per-head q / k norms
  const glm4 = a === 'glm4'; // pre-norms and post-norms (the Gemmas' four) with SwiGLU
  const phi2 = a === 'phi2'; // starcoder2's parts in GPT-J's parallel block, the head with a bias
  const cohere = a === 'command-r' || a === 'cohere2'; // a parallel block of bias-free LayerNorm, attention and SwiGLU
  const falcon = a === 'falcon'; // phi2's parallel block without biases, q / k / v fused
  const gpt2 = a === 'gpt2' || a === 'starcoder'; // GPT-2 (and StarCoder 1's GPT-2 with GQA): learned positions instead of RoPE, q / k / v fused
  const sc2 = a === 'starcoder2' || phi2 || a === 'gptneox' || gpt2; // GPT-2's block on RoPE: LayerNorms, biases everywhere, a plain GELU MLP
  const oss = a === 'gpt-oss'; // sinks, a biased attention output, biased experts of a clamped SwiGLU
  // ALiBi's GPT-style blocks (llama_alibi.ts): LayerNorms, q / k / v fused; bloom's and jais's biased everywhere (mpt's where its file says), jais's FFN a SwiGLU
  const bloom = a === 'bloom';
  const alibiGpt = bloom || a === 'mpt' || a === 'jais';
  const on = (b: boolean): true | undefined => (b ? true : undefined);
  const traits: ArchTraits = {
    // llama.cpp's rope type: NORM (adjacent pairs) for these, NEOX (halves) for the others
    ropeLayout: ['llama', 'smollm3', 'granite', 'granitemoe', 'granitehybrid', 'ernie4_5', 'ernie4_5-moe', 'internlm2', 'xverse', 'bailingmoe', 'mistral3', 'glm4', 'arcee', 'minicpm', 'deepseek2', 'llama4', 'chatglm', 'olmo', 'baichuan', 'maincoder', 'deepseek'].includes(a) || cohere ? 'norm' : 'neox',
    qkvBias: a === 'qwen2' || a === 'gptneox' || gpt2 || a === 'qwen' || bloom || a === 'jais' || a === 'jais2', // always (others where the file has them: llamaConfigFromGguf)
    qkNorm: a === 'minimax-m2' || a === 'qwen3' || a === 'qwen3moe' || a === 'dots1' || a === 'bailingmoe2' || a === 'mellum' || a === 'qwen35' || a === 'qwen35moe' || a === 'qwen3next' || a === 'gemma3' || olmo2 || exaone4 || a === 'lfm2' || a === 'lfm2moe' || a === 'olmoe' || a === 'hunyuan-dense' || a === 'hunyuan-moe' || a === 'maincoder',
    qkNormAfterRope: on(a === 'hunyuan-dense' || a === 'hunyuan-moe' || a === 'maincoder'),
    qkNormFull: on(olmo2 || a === 'olmoe' || a === 'minimax-m2'), // OLMoE: olmo2's whole-projection q / k norms in a pre-norm block (MiniMax-M2's too, k's over its KV heads)
    postNorms: gemma || olmo2 || exaone4 || glm4,
    noPreNorms: on(olmo2 || exaone4),
    ffnAct: gemma || gemma1 || sc2 || falcon || bloom || a === 'mpt' || a === 'codeshell' ? 'gelu' : a === 'arcee' || a === 'nemotron' || a === 'nemotron_h' || a === 'jais2' ? 'relu2' : oss ? 'swiglu_oai' : a === 'smallthinker' ? 'relu' : 'silu', // (smallthinker's experts: ReGLU)
    ffnGateless: on(a === 'arcee' || sc2 || falcon || a === 'nemotron' || a === 'nemotron_h' || bloom || a === 'mpt' || a === 'codeshell' || a === 'jais2'),
    embedScale: gemma || gemma1,
    layerNorm: on(a === 'stablelm' || sc2 || cohere || falcon || a === 'nemotron' || a === 'orion' || a === 'olmo' || alibiGpt || a === 'codeshell' || a === 'jais2' || a === 'dbrx'), // (nemotron: Nemotron-4 / Minitron, its LayerNorm1p's + 1 folded in by the converter)
    normNoBias: on(cohere || a === 'dbrx'),
    linearBiases: on(sc2 || oss || a === 'phimoe' || bloom || a === 'jais' || a === 'codeshell' || a === 'jais2'),
    attnOutBias: on(a === 'pangu-embedded'), // (phimoe's, as gpt-oss's, only on attn_output: its FFNs are all experts) // (gpt-oss's only on attn_output: its FFNs are all experts, biased by moe.biases)
    attnSinks: on(oss),
    parallelBlock: on(phi2 || cohere || falcon),
    outputBias: on(phi2 || a === 'phimoe'),
    rmsNormBias: on(a === 'phimoe'),
    normNoWeight: on(a === 'olmo'),
    fusedQkv: on(a === 'gptneox' || gpt2 || falcon || a === 'bailingmoe2' || a === 'chatglm' || a === 'qwen' || alibiGpt || a === 'dbrx'),
    embedNorm: on(bloom),
    learnedPositions: on(gpt2),
  };
  // The optional traits are absent where off (a config read back from its GGUF compares equal).
  return Object.fromEntries(Object.entries(traits).filter(([, v]) => v !== undefined)) as ArchTraits;
}

