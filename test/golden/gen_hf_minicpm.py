"""Writes test/golden/hf_minicpm/: a tiny Hugging Face MiniCPM checkpoint (MiniCPMForCausalLM's config.json +
model.safetensors, HF tensor names, seeded random weights) and golden.json, the logits PyTorch computes with MiniCPM's
modeling code written out in plain torch: a Llama (RMSNorm, rotate-half RoPE, SwiGLU) whose embeddings are multiplied
by scale_emb, each attention and MLP output by scale_depth / sqrt(num_hidden_layers) before its residual add, and whose
final hidden states are divided by hidden_size / dim_model_base before the (tied) head: gen_hf_llama.py's Granite
forward with those as its multipliers (the same products). Run once with Debian's PyTorch (/usr/bin/python3
test/golden/gen_hf_minicpm.py); the files are committed. The forward runs in float64 on the f32 weights.
"""
import math

from gen_hf_llama import LLAMA, build, forward, write_golden

# MiniCPMForCausalLM's config (MiniCPM-2B's kind, shrunk): scale_emb 12, scale_depth 1.4, dim_model_base 8 (hidden 32:
# logits / 4), tied.
MINICPM = dict(LLAMA, architectures=["MiniCPMForCausalLM"], model_type="minicpm", scale_emb=12.0, scale_depth=1.4, dim_model_base=8, tie_word_embeddings=True)


def forward_minicpm(cfg, w, ids):
    hd = cfg["hidden_size"] // cfg["num_attention_heads"]
    granite = dict(cfg, model_type="granite", embedding_multiplier=cfg["scale_emb"], residual_multiplier=cfg["scale_depth"] / math.sqrt(cfg["num_hidden_layers"]),
                   attention_multiplier=hd**-0.5, logits_scaling=cfg["hidden_size"] / cfg["dim_model_base"])
    return forward(granite, w, ids)


if __name__ == "__main__":
    write_golden("hf_minicpm", MINICPM, build(MINICPM, 2051), forward_minicpm)
