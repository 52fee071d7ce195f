// Llama-family architectures whose llama.cpp graphs are one of nibble's blocks with small differences (src/models/
// {codeshell,jais2,maincoder,pangu-embed,deepseek}.cpp; their traits are in llama_traits.ts):
//   codeshell       (CodeShell-7B) starcoder2's block: biased LayerNorms, a biased GELU MLP, NEOX RoPE; its head never tied
//   jais2           (Jais 2) LayerNorms, q / k / v and attn_output biased, a biased gateless relu(x)^2 MLP, NEOX RoPE;
//                   llama.cpp sizes every q / k / v bias by embedding_length (no grouped-query attention)
//   maincoder       (Maincoder-1B) a Llama whose q and k are RMS-normalized per head after RoPE (hunyuan-dense's order)
//   pangu-embedded  (openPangu-Embedded 1B / 7B) a Llama with NEOX RoPE and a bias on attn_output alone
//   deepseek        (DeepSeek-MoE 16B) a Llama whose FFNs past leading_dense_block_count are experts of
//                   expert_feed_forward_length, unnormalized softmax weights (times expert_weights_scale where given),
//                   with expert_shared_count experts' width of shared SwiGLU added ungated (llama_moe.ts)
//   dbrx            (DBRX) LayerNorms without biases, q / k / v fused and clamped by .attention.clamp_kqv (required;
//                   0: none), NEOX RoPE, every FFN experts of feed_forward_length by a renormalized softmax; its FFN
//                   norm named attn_output_norm in the file (llama_layout.ts); its head never tied
// llama.cpp takes q / k / v of these apart or fused in attn_qkv (create_tensor_qkv), biased where the file has the
// biases (refact and baichuan the same: llama_alibi.ts).
import { ModelConfigError, type Keys } from './gguf_keys.js';
import type { LlamaArch, LlamaConfig } from './llama_config.js';

/** The architectures whose q / k / v the file holds apart or fused, biased or not (llama.cpp's create_tensor_qkv). */
export const QKV_FROM_FILE: readonly LlamaArch[] = ['refact', 'baichuan', 'codeshell', 'maincoder', 'pangu-embedded', 'deepseek'];

/** What these architectures' files decide: q / k / v fused, their biases, dbrx's clamp; jais2's head counts checked. */
export function moreArchConfigFromGguf(a: LlamaArch, k: Keys, has: (name: string) => boolean, s: { heads: number; kvHeads: number; headDim: number; dim: number }): Partial<LlamaConfig> {
  if (a === 'dbrx') {
    const clamp = k.float(`${a}.attention.clamp_kqv`, undefined, true); // (required by llama.cpp's dbrx)
    return clamp > 0 ? { clampKqv: clamp } : {};
  }
  if (a === 'jais2' && (s.kvHeads !== s.heads || s.heads * s.headDim !== s.dim)) throw new ModelConfigError(`model config: a jais2 model with ${s.heads} heads of ${s.headDim} and ${s.kvHeads} KV heads: llama.cpp's jais2 sizes its q / k / v biases by embedding_length ${s.dim} (no grouped-query attention)`);
  if (!QKV_FROM_FILE.includes(a)) return {};
  return { ...(has('blk.0.attn_qkv.weight') ? { fusedQkv: true } : {}), ...(has('blk.0.attn_q.bias') || has('blk.0.attn_qkv.bias') ? { qkvBias: true } : {}) };
}
