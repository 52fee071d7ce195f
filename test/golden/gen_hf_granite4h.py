"""Writes test/golden/hf_granite4_h/ and hf_granite4_h_moe/: tiny Hugging Face checkpoints of IBM's Granite 4.0 H
(GraniteMoeHybridForCausalLM with Mamba-2 layers), with the logits of their forward in plain PyTorch:

Granite 4.0 (gen_hf_moe.py's GRANITE4: granite's multipliers, the shared MLP as the FFN, RoPE only with
position_embedding_type "rope") where layer_types says "mamba": input_layernorm, then GraniteMoeHybridMambaLayer in
place of attention, as transformers' torch_forward computes it without a cache:
  in_proj -> gate | xBC | dt; xBC through the causal depthwise conv1d (padding d_conv - 1, its bias) and silu;
  x | B | C; dt = softplus(dt + dt_bias); A = -exp(A_log); per head h (group h // (heads / groups)) the state
  s = s exp(dt A) + (x dt) B^T, y = s C + D x (the recurrence the chunked SSD computes);
  y = rmsnorm per group of n_groups (y * silu(gate)) * norm.weight (GraniteMoeHybridRMSNormGated); out_proj;
  the residual times residual_multiplier, then post_attention_layernorm and the FFN as on attention layers.
hf_granite4_h: layers mamba, attention, mamba, no RoPE (position_embedding_type "nope", as Granite 4.0 H), 2 groups;
hf_granite4_h_moe: the same with 4 experts (2 a token) and RoPE, one group.
Run once with Debian's PyTorch (/usr/bin/python3 test/golden/gen_hf_granite4h.py); the files are committed. The
forward runs in float64 on the f32 weights.
"""
import torch

from gen_hf_moe import GRANITE4, build, moe
from hf_golden_common import causal_mask, rms, rope_tables, rotate_half, write_golden

GRANITE4_H = dict(GRANITE4, num_hidden_layers=3, layer_types=["mamba", "attention", "mamba"], position_embedding_type="nope",
                  mamba_n_heads=4, mamba_d_head=16, mamba_d_state=8, mamba_d_conv=4, mamba_expand=2, mamba_n_groups=2,
                  mamba_chunk_size=256, mamba_conv_bias=True, mamba_proj_bias=False)
GRANITE4_H_MOE = dict(GRANITE4_H, position_embedding_type="rope", mamba_n_groups=1, num_local_experts=4, num_experts_per_tok=2,
                      intermediate_size=32, shared_intermediate_size=40)


def build_h(cfg, seed):
    """gen_hf_moe's Granite 4.0 weights, the mamba layers' attention replaced by the mixer's tensors."""
    w = build(cfg, seed)
    torch.manual_seed(seed + 1)
    D = cfg["hidden_size"]
    H, P, N, G, K = (cfg[k] for k in ("mamba_n_heads", "mamba_d_head", "mamba_d_state", "mamba_n_groups", "mamba_d_conv"))
    inner = H * P
    ch = inner + 2 * G * N
    for l, kind in enumerate(cfg["layer_types"]):
        if kind != "mamba":
            continue
        p = f"model.layers.{l}."
        for n in ("q", "k", "v", "o"):
            del w[p + f"self_attn.{n}_proj.weight"]
        m = p + "mamba."
        w[m + "in_proj.weight"] = (torch.randn(2 * inner + 2 * G * N + H, D) * 0.2).float()
        w[m + "conv1d.weight"] = (torch.randn(ch, 1, K) * 0.5).float()
        w[m + "conv1d.bias"] = (torch.randn(ch) * 0.2).float()
        w[m + "dt_bias"] = torch.log(torch.expm1(0.01 + 0.19 * torch.rand(H))).float()  # softplus(dt) of 0.01..0.2
        w[m + "A_log"] = torch.log(1 + 7 * torch.rand(H)).float()
        w[m + "D"] = (1 + 0.1 * torch.randn(H)).float()
        w[m + "norm.weight"] = (1 + 0.1 * torch.randn(inner)).float()
        w[m + "out_proj.weight"] = (torch.randn(D, inner) * 0.2).float()
    return w


def mamba(cfg, W, m, h):
    """GraniteMoeHybridMambaLayer of h [T, hidden] from position 0 (float64)."""
    T = h.shape[0]
    H, P, N, G, K = (cfg[k] for k in ("mamba_n_heads", "mamba_d_head", "mamba_d_state", "mamba_n_groups", "mamba_d_conv"))
    inner = H * P
    silu = torch.nn.functional.silu
    proj = h @ W[m + "in_proj.weight"].T
    gate, xbc, dt = proj[:, :inner], proj[:, inner : 2 * inner + 2 * G * N], proj[:, 2 * inner + 2 * G * N :]
    conv = torch.nn.functional.conv1d(xbc.T.unsqueeze(0), W[m + "conv1d.weight"], W[m + "conv1d.bias"], padding=K - 1, groups=xbc.shape[1])
    xbc = silu(conv[0, :, :T].T)
    x, B, C = xbc[:, :inner].view(T, H, P), xbc[:, inner : inner + G * N].view(T, G, N), xbc[:, inner + G * N :].view(T, G, N)
    dt = torch.nn.functional.softplus(dt + W[m + "dt_bias"])
    A = -torch.exp(W[m + "A_log"])
    s = torch.zeros(H, P, N, dtype=torch.float64)
    y = torch.zeros(T, H, P, dtype=torch.float64)
    for t in range(T):
        for hh in range(H):
            g = hh // (H // G)
            s[hh] = s[hh] * torch.exp(dt[t, hh] * A[hh]) + torch.outer(x[t, hh] * dt[t, hh], B[t, g])
            y[t, hh] = s[hh] @ C[t, g] + W[m + "D"][hh] * x[t, hh]
    y = (y.reshape(T, inner) * silu(gate)).view(T, G, inner // G)
    y = (y * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + cfg["rms_norm_eps"])).reshape(T, inner) * W[m + "norm.weight"]
    return y @ W[m + "out_proj.weight"].T


def forward(cfg, w, ids):
    D, L, H, KV = (cfg[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads"))
    hd = D // H
    W = {k: v.to(torch.float64) for k, v in w.items()}
    T = len(ids)
    cos, sin = rope_tables(cfg["rope_theta"], hd, T)
    mask = causal_mask(T)
    rs = cfg["residual_multiplier"]
    x = W["model.embed_tokens.weight"][torch.tensor(ids)] * cfg["embedding_multiplier"]
    for l in range(L):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "input_layernorm.weight"], cfg)
        if cfg["layer_types"][l] == "mamba":
            x = x + rs * mamba(cfg, W, p + "mamba.", h)
        else:
            q, k, v = ((h @ W[p + f"self_attn.{n}_proj.weight"].T).view(T, c, hd).transpose(0, 1) for n, c in (("q", H), ("k", KV), ("v", KV)))
            if cfg["position_embedding_type"] == "rope":
                q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
            k, v = k.repeat_interleave(H // KV, dim=0), v.repeat_interleave(H // KV, dim=0)
            a = torch.softmax(q @ k.transpose(-1, -2) * cfg["attention_multiplier"] + mask, dim=-1) @ v
            x = x + rs * (a.transpose(0, 1).reshape(T, H * hd) @ W[p + "self_attn.o_proj.weight"].T)
        x = x + rs * moe(cfg, W, p, rms(x, W[p + "post_attention_layernorm.weight"], cfg))
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return (rms(x, W["model.norm.weight"], cfg) @ head.T) / cfg["logits_scaling"]


if __name__ == "__main__":
    for name, cfg, seed in (("hf_granite4_h", GRANITE4_H, 2110), ("hf_granite4_h_moe", GRANITE4_H_MOE, 2111)):
        write_golden(name, cfg, build_h(cfg, seed), forward)
