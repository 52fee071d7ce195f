"""Writes test/golden/hf_lfm2/: a tiny Hugging Face LFM2 checkpoint (Lfm2ForCausalLM's config.json + model.safetensors,
HF tensor names, seeded random weights) and golden.json, the logits PyTorch computes with transformers' modeling_lfm2
math written out in plain torch (no `transformers` needed):
  per layer  h = rmsnorm(x) * operator_norm
    conv layers ('conv'):  B, C, X = in_proj(h).chunk(3)   (rows of in_proj: B's, then C's, then X's)
                           y = C * conv1d(B * X)            depthwise, kernel conv.conv [dim, 1, L], padding L - 1, the
                                                            first T outputs (causal: tap L-1 multiplies the current row)
                           x = x + out_proj(y)
    attention layers:      q, k RMS-normalized per head (q_layernorm / k_layernorm) before rotate-half RoPE, GQA,
                           causal softmax(q k^T / sqrt(head_dim)) v, x = x + out_proj(a)
             x = x + w2(silu(w1(rmsnorm(x) * ffn_norm)) * w3(...))
  logits = (rmsnorm(x) * embedding_norm) @ embed_tokens^T   (tied, as LFM2's models are)
The MLP width is Lfm2MLP's: intermediate_size 80 -> int(2 * 80 / 3) = 53 -> int(1.0 * 53) rounded up to
block_multiple_of 16 = 64 (nibble's import must compute the same). Run once with Debian's PyTorch
(/usr/bin/python3 test/golden/gen_hf_lfm2.py); the files are committed. The forward runs in float64 on the f32 weights.
"""
import torch

from gen_hf_llama import rms, rotate_half, write_golden

LFM2 = {
    "architectures": ["Lfm2ForCausalLM"],
    "model_type": "lfm2",
    "vocab_size": 260,
    "hidden_size": 32,
    "intermediate_size": 80,
    "block_auto_adjust_ff_dim": True,
    "block_ffn_dim_multiplier": 1.0,
    "block_multiple_of": 16,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "layer_types": ["conv", "full_attention", "conv", "full_attention"],
    "conv_L_cache": 3,
    "conv_bias": False,
    "max_position_embeddings": 32,
    "norm_eps": 1e-5,
    "rope_theta": 1000000.0,
    "tie_word_embeddings": True,
    "torch_dtype": "float32",
}
FF = 64  # Lfm2MLP's width for the config above


def build(cfg, seed, std=0.2):
    torch.manual_seed(seed)
    D, L, H, KV, V, K = (cfg[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "vocab_size", "conv_L_cache"))
    hd = D // H
    w = {}

    def rand(name, *shape, s=std):
        w[name] = (torch.randn(*shape) * s).to(torch.float32)

    def norm(name, n):
        w[name] = (1 + 0.1 * torch.randn(n)).to(torch.float32)

    rand("model.embed_tokens.weight", V, D, s=1.0)
    for l, kind in enumerate(cfg["layer_types"]):
        p = f"model.layers.{l}."
        norm(p + "operator_norm.weight", D)
        norm(p + "ffn_norm.weight", D)
        if kind == "conv":
            rand(p + "conv.in_proj.weight", 3 * D, D)
            rand(p + "conv.conv.weight", D, 1, K, s=K**-0.5)
            rand(p + "conv.out_proj.weight", D, D)
        else:
            rand(p + "self_attn.q_proj.weight", H * hd, D)
            rand(p + "self_attn.k_proj.weight", KV * hd, D)
            rand(p + "self_attn.v_proj.weight", KV * hd, D)
            rand(p + "self_attn.out_proj.weight", D, H * hd)
            norm(p + "self_attn.q_layernorm.weight", hd)
            norm(p + "self_attn.k_layernorm.weight", hd)
        rand(p + "feed_forward.w1.weight", FF, D)
        rand(p + "feed_forward.w3.weight", FF, D)
        rand(p + "feed_forward.w2.weight", D, FF)
    norm("model.embedding_norm.weight", D)
    return w


def forward(cfg, w, ids):
    D, H, KV, K = (cfg[k] for k in ("hidden_size", "num_attention_heads", "num_key_value_heads", "conv_L_cache"))
    hd = D // H
    eps = {"rms_norm_eps": cfg["norm_eps"]}
    W = {k: v.to(torch.float64) for k, v in w.items()}
    T = len(ids)
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    emb = torch.cat((ang, ang), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    for l, kind in enumerate(cfg["layer_types"]):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "operator_norm.weight"], eps)
        if kind == "conv":  # Lfm2ShortConv.slow_forward without a cache
            B, C, X = (h @ W[p + "conv.in_proj.weight"].T).T.chunk(3, dim=0)  # each [D, T]
            conv = torch.nn.functional.conv1d((B * X)[None], W[p + "conv.conv.weight"], padding=K - 1, groups=D)[0, :, :T]
            o = (C * conv).T @ W[p + "conv.out_proj.weight"].T
        else:  # Lfm2Attention
            q = rms((h @ W[p + "self_attn.q_proj.weight"].T).view(T, H, hd), W[p + "self_attn.q_layernorm.weight"], eps).transpose(0, 1)
            k = rms((h @ W[p + "self_attn.k_proj.weight"].T).view(T, KV, hd), W[p + "self_attn.k_layernorm.weight"], eps).transpose(0, 1)
            v = (h @ W[p + "self_attn.v_proj.weight"].T).view(T, KV, hd).transpose(0, 1)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            k = k.repeat_interleave(H // KV, dim=0)
            v = v.repeat_interleave(H // KV, dim=0)
            a = torch.softmax(q @ k.transpose(-1, -2) / hd**0.5 + mask, dim=-1) @ v
            o = a.transpose(0, 1).reshape(T, H * hd) @ W[p + "self_attn.out_proj.weight"].T
        x = x + o
        f = rms(x, W[p + "ffn_norm.weight"], eps)
        x = x + (torch.nn.functional.silu(f @ W[p + "feed_forward.w1.weight"].T) * (f @ W[p + "feed_forward.w3.weight"].T)) @ W[p + "feed_forward.w2.weight"].T
    return rms(x, W["model.embedding_norm.weight"], eps) @ W["model.embed_tokens.weight"].T


if __name__ == "__main__":
    write_golden("hf_lfm2", LFM2, build(LFM2, 2044), forward)
