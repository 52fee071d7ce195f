// Every tensor a Llama-family configuration reads, by GGUF name and shape (llama_config.ts re-exports it): what the
// GGUF reader checks a file against, what the writers write, and what training makes parameters of.
import { isConvLayer } from './llama_layers.js';
import { normBiasName, outputNormName, type LlamaConfig } from './llama_config.js';
import { isMoeLayer, moeTensorNames } from './llama_moe.js';
import { isSsmLayer, ssmTensorNames } from './llama_ssm.js';
import { deltaNetTensorNames, isDeltaNetLayer } from './llama_delta_net.js';
import { mlaTensorNames } from './llama_mla.js';

/**
 * Every tensor the model definition reads, shape outermost first ([N, K] for weights), in the order a file lists
 * them (a file may fuse some: ggufTensorLayout).
 */
export function llamaTensorNames(c: LlamaConfig): { name: string; shape: number[] }[] {
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const out: { name: string; shape: number[] }[] = [{ name: 'token_embd.weight', shape: [c.vocab, c.dim] }];
  const normBias = (n: string) => (normBiasName(c, `${n}.weight`) ? [{ name: `${n}.bias`, shape: [c.dim] }] : []);
  const bias = (n: string, size: number) => (c.linearBiases ? [{ name: `${n}.bias`, shape: [size] }] : []); // starcoder2's
  if (c.embedNorm) out.push({ name: 'token_embd_norm.weight', shape: [c.dim] }, { name: 'token_embd_norm.bias', shape: [c.dim] }); // (bloom's)
  if (c.learnedPositions) out.push({ name: 'position_embd.weight', shape: [c.ctx, c.dim] });
  if (c.ropeFreqs) out.push({ name: 'rope_freqs.weight', shape: [c.ropeDims / 2] });
  if (c.longRope) out.push({ name: 'rope_factors_long.weight', shape: [c.ropeDims / 2] }, { name: 'rope_factors_short.weight', shape: [c.ropeDims / 2] });
  for (let l = 0; l < c.layers; l++) {
    const p = `blk.${l}.`;
    if (c.layerKinds) {
      // nemotron_h: attn_norm, then the layer's one mixer
      const kind = c.layerKinds[l];
      out.push({ name: `${p}attn_norm.weight`, shape: [c.dim] });
      if (kind === 'ssm') out.push(...ssmTensorNames(c, p));
      else if (kind === 'attention') out.push({ name: `${p}attn_q.weight`, shape: [q, c.dim] }, { name: `${p}attn_k.weight`, shape: [kv, c.dim] }, { name: `${p}attn_v.weight`, shape: [kv, c.dim] }, { name: `${p}attn_output.weight`, shape: [c.dim, q] });
      else out.push({ name: `${p}ffn_up.weight`, shape: [c.ffn, c.dim] }, { name: `${p}ffn_down.weight`, shape: [c.dim, c.ffn] });
      continue;
    }
    if (!c.noPreNorms && !c.normNoWeight) out.push({ name: `${p}attn_norm.weight`, shape: [c.dim] }, ...normBias(`${p}attn_norm`));
    if (isSsmLayer(c, l) && !c.ssm!.parallel) {
      out.push(...ssmTensorNames(c, p)); // granitehybrid's Mamba-2 mixers
    } else if (isDeltaNetLayer(c, l)) {
      out.push(...deltaNetTensorNames(c, p)); // qwen35's Gated DeltaNet layers
    } else if (isConvLayer(c, l)) {
      const taps = c.shortConv!.taps;
      out.push({ name: `${p}shortconv.conv.weight`, shape: [c.dim, taps] }, { name: `${p}shortconv.in_proj.weight`, shape: [3 * c.dim, c.dim] }, { name: `${p}shortconv.out_proj.weight`, shape: [c.dim, c.dim] });
    } else if (c.mla) {
      out.push(...mlaTensorNames(c, p)); // deepseek2's and minicpm3's multi-head latent attention
    } else {
      out.push({ name: `${p}attn_q.weight`, shape: [q, c.dim] }, ...(c.deltaNet ? [{ name: `${p}attn_q_gate.weight`, shape: [q, c.dim] }] : []), { name: `${p}attn_k.weight`, shape: [kv, c.dim] }, { name: `${p}attn_v.weight`, shape: [kv, c.dim] });
      if (c.qkvBias) out.push({ name: `${p}attn_q.bias`, shape: [q] }, { name: `${p}attn_k.bias`, shape: [kv] }, { name: `${p}attn_v.bias`, shape: [kv] });
      if (c.qkNorm) out.push({ name: `${p}attn_q_norm.weight`, shape: [c.qkNormFull ? q : c.headDim] }, { name: `${p}attn_k_norm.weight`, shape: [c.qkNormFull ? kv : c.headDim] });
      if (c.qkHeadLayerNorm) out.push({ name: `${p}attn_q_norm.weight`, shape: [c.heads, c.headDim] }, { name: `${p}attn_k_norm.weight`, shape: [c.kvHeads, c.headDim] }); // (Command R+'s)
      out.push({ name: `${p}attn_output.weight`, shape: [c.dim, q] }, ...(c.attnOutBias ? [{ name: `${p}attn_output.bias`, shape: [c.dim] }] : bias(`${p}attn_output`, c.dim))); // (pangu-embedded: its bias alone)
      if (c.attnSinks) out.push({ name: `${p}attn_sinks.weight`, shape: [c.heads] });
      if (c.ssm?.parallel) out.push(...ssmTensorNames(c, p)); // falcon-h1's mixer beside attention
      if (c.postNorms) out.push({ name: `${p}post_attention_norm.weight`, shape: [c.dim] });
    }
    if (!c.noPreNorms && !c.parallelBlock && !c.normNoWeight) out.push({ name: `${p}ffn_norm.weight`, shape: [c.dim] }, ...normBias(`${p}ffn_norm`));
    if (isMoeLayer(c, l)) out.push(...moeTensorNames(c, p));
    else {
      if (!c.ffnGateless) out.push({ name: `${p}ffn_gate.weight`, shape: [c.ffn, c.dim] }, ...bias(`${p}ffn_gate`, c.ffn)); // (jais's gate is biased)
      out.push({ name: `${p}ffn_up.weight`, shape: [c.ffn, c.dim] }, ...bias(`${p}ffn_up`, c.ffn), { name: `${p}ffn_down.weight`, shape: [c.dim, c.ffn] }, ...bias(`${p}ffn_down`, c.dim));
    }
    if (c.postNorms) out.push({ name: `${p}post_ffw_norm.weight`, shape: [c.dim] });
  }
  if (!c.normNoWeight) out.push({ name: outputNormName(c), shape: [c.dim] }, ...normBias('output_norm')); // (olmo's norms have no tensors)
  if (!c.tied) out.push({ name: 'output.weight', shape: [c.vocab, c.dim] });
  if (c.outputBias) out.push({ name: 'output.bias', shape: [c.vocab] });
  return out;
}
