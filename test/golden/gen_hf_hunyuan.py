"""Writes test/golden/hf_hunyuan/: a tiny Hugging Face Hunyuan dense checkpoint (HunYuanDenseV1ForCausalLM, model_type
hunyuan_v1_dense: Hunyuan 0.5B / 1.8B / 4B / 7B's kind, shrunk; config.json + model.safetensors, HF tensor names,
seeded random weights) and golden.json, the logits PyTorch computes with its forward written out in plain torch (no
`transformers`): a Llama-style decoder (RMSNorm, rotate-half RoPE, grouped-query attention, SwiGLU) whose RoPE base is
Hunyuan's "dynamic NTK alpha", rope_theta * alpha ** (head_dim / (head_dim - 2)) (as transformers' and vLLM's
Hunyuan rotary embeddings and llama.cpp's converter compute it), and whose q and k are RMS-normalized per head
(self_attn.query_layernorm / key_layernorm) after RoPE; head_dim of its own (16 at hidden_size 32, 4 heads); tied.
Run once with Debian's PyTorch (/usr/bin/python3 test/golden/gen_hf_hunyuan.py); the files are committed. The
forward runs in float64 on the f32 weights.
"""
import torch

from hf_golden_common import causal_mask, gqa, rms, rope_tables, rotate_half, seeded, write_golden

HUNYUAN = {
    "architectures": ["HunYuanDenseV1ForCausalLM"], "model_type": "hunyuan_v1_dense", "vocab_size": 260, "hidden_size": 32,
    "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
    "max_position_embeddings": 32, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu", "use_qk_norm": True,
    "rope_scaling": {"alpha": 1000.0, "beta_fast": 32, "beta_slow": 1, "factor": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0, "type": "dynamic"},
    "attention_bias": False, "mlp_bias": False, "tie_word_embeddings": True, "torch_dtype": "float32",
}


def build(cfg, seed):
    w, rand = seeded(seed, 0.2)
    D, L, H, KV, F, V, hd = (cfg[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size", "vocab_size", "head_dim"))
    rand("model.embed_tokens.weight", V, D, s=1.0)
    for l in range(L):
        p = f"model.layers.{l}."
        rand(p + "input_layernorm.weight", D, s=0.1, mean=1.0)
        rand(p + "post_attention_layernorm.weight", D, s=0.1, mean=1.0)
        rand(p + "self_attn.q_proj.weight", H * hd, D)
        rand(p + "self_attn.k_proj.weight", KV * hd, D)
        rand(p + "self_attn.v_proj.weight", KV * hd, D)
        rand(p + "self_attn.o_proj.weight", D, H * hd)
        rand(p + "self_attn.query_layernorm.weight", hd, s=0.2, mean=1.0)
        rand(p + "self_attn.key_layernorm.weight", hd, s=0.2, mean=1.0)
        rand(p + "mlp.gate_proj.weight", F, D)
        rand(p + "mlp.up_proj.weight", F, D)
        rand(p + "mlp.down_proj.weight", D, F)
    rand("model.norm.weight", D, s=0.1, mean=1.0)
    return w


def forward(cfg, w, ids):
    L, H, KV, hd = (cfg[k] for k in ("num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim"))
    W = {k: v.to(torch.float64) for k, v in w.items()}
    T = len(ids)
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    base = cfg["rope_theta"] * cfg["rope_scaling"]["alpha"] ** (hd / (hd - 2))  # dynamic NTK alpha
    cos, sin = rope_tables(base, hd, T)
    mask = causal_mask(T)
    silu = torch.nn.functional.silu
    for l in range(L):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "input_layernorm.weight"], cfg)
        q, k, v = ((h @ W[p + f"self_attn.{n}_proj.weight"].T).view(T, c, hd).transpose(0, 1) for n, c in (("q", H), ("k", KV), ("v", KV)))
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        q, k = rms(q, W[p + "self_attn.query_layernorm.weight"], cfg), rms(k, W[p + "self_attn.key_layernorm.weight"], cfg)  # after RoPE
        x = x + gqa(q, k, v, mask) @ W[p + "self_attn.o_proj.weight"].T
        h2 = rms(x, W[p + "post_attention_layernorm.weight"], cfg)
        x = x + (silu(h2 @ W[p + "mlp.gate_proj.weight"].T) * (h2 @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
    return rms(x, W["model.norm.weight"], cfg) @ W["model.embed_tokens.weight"].T


if __name__ == "__main__":
    write_golden("hf_hunyuan", HUNYUAN, build(HUNYUAN, 2110), forward)
