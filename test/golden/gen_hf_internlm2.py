"""Writes test/golden/hf_internlm2/: a tiny Hugging Face InternLM2 checkpoint (InternLM2ForCausalLM, model_type
internlm2: InternLM2 / InternLM2.5 1.8B, 7B, 20B's kind, shrunk; config.json + model.safetensors with its own tensor
names, seeded random weights) and golden.json, the logits PyTorch computes with its forward written out in plain torch
(no remote code): a Llama (RMSNorm, rotate-half RoPE, grouped-query attention, SwiGLU) whose q / k / v come from one
attention.wqkv whose rows are grouped by KV head: for each of the num_key_value_heads groups, its
num_attention_heads / num_key_value_heads query heads, then its key head, then its value head (head_dim rows each),
as InternLM2's attention rearranges "(h gs d)" with gs = 2 + heads per group; its MLP feed_forward.w2(silu(w1 x) *
w3 x); names tok_embeddings, attention_norm, attention.wo, ffn_norm, output; never tied. Run once with Debian's
PyTorch (/usr/bin/python3 test/golden/gen_hf_internlm2.py); the files are committed. The forward runs in float64.
"""
import torch

from hf_golden_common import causal_mask, gqa, rms, rope_tables, rotate_half, seeded, write_golden

INTERNLM2 = {
    "architectures": ["InternLM2ForCausalLM"], "model_type": "internlm2", "vocab_size": 260, "hidden_size": 32,
    "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "max_position_embeddings": 32, "rms_norm_eps": 1e-5, "rope_theta": 1000000.0, "hidden_act": "silu", "bias": False,
    "rope_scaling": None, "tie_word_embeddings": False, "torch_dtype": "float32",
}


def build(cfg, seed):
    w, rand = seeded(seed, 0.2)
    D, L, H, KV, F, V = (cfg[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size", "vocab_size"))
    hd = D // H
    rand("model.tok_embeddings.weight", V, D, s=1.0)
    for l in range(L):
        p = f"model.layers.{l}."
        rand(p + "attention_norm.weight", D, s=0.1, mean=1.0)
        rand(p + "ffn_norm.weight", D, s=0.1, mean=1.0)
        rand(p + "attention.wqkv.weight", (H + 2 * KV) * hd, D)
        rand(p + "attention.wo.weight", D, H * hd)
        rand(p + "feed_forward.w1.weight", F, D)
        rand(p + "feed_forward.w3.weight", F, D)
        rand(p + "feed_forward.w2.weight", D, F)
    rand("model.norm.weight", D, s=0.1, mean=1.0)
    rand("output.weight", V, D)
    return w


def forward(cfg, w, ids):
    D, L, H, KV = (cfg[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads"))
    hd, gs = D // H, 2 + H // KV
    W = {k: v.to(torch.float64) for k, v in w.items()}
    T = len(ids)
    x = W["model.tok_embeddings.weight"][torch.tensor(ids)]
    cos, sin = rope_tables(cfg["rope_theta"], hd, T)
    mask = causal_mask(T)
    silu = torch.nn.functional.silu
    for l in range(L):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "attention_norm.weight"], cfg)
        qkv = (h @ W[p + "attention.wqkv.weight"].T).view(T, KV, gs, hd)  # "b q (h gs d) -> b q h gs d"
        q = qkv[:, :, : gs - 2, :].reshape(T, H, hd).transpose(0, 1)
        k, v = qkv[:, :, -2, :].transpose(0, 1), qkv[:, :, -1, :].transpose(0, 1)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        x = x + gqa(q, k, v, mask) @ W[p + "attention.wo.weight"].T
        h2 = rms(x, W[p + "ffn_norm.weight"], cfg)
        x = x + (silu(h2 @ W[p + "feed_forward.w1.weight"].T) * (h2 @ W[p + "feed_forward.w3.weight"].T)) @ W[p + "feed_forward.w2.weight"].T
    return rms(x, W["model.norm.weight"], cfg) @ W["output.weight"].T


if __name__ == "__main__":
    write_golden("hf_internlm2", INTERNLM2, build(INTERNLM2, 2111), forward)
