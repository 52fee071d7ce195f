"""Writes test/golden/hf_stablelm/: a tiny Hugging Face StableLM checkpoint (StableLmForCausalLM's config.json +
model.safetensors, HF tensor names, seeded random weights) and golden.json, the logits PyTorch computes with
transformers' modeling_stablelm math written out in plain torch (no `transformers` needed): LayerNorm (with bias)
before attention and the MLP and at the end, q / k / v biases (use_qkv_bias), rotate-half RoPE over the first
partial_rotary_factor x head_dim dims of each head (its frequencies over those dims), grouped-query attention scaled by
head_dim^-0.5, SwiGLU, an untied head. Run once with Debian's PyTorch (/usr/bin/python3 test/golden/gen_hf_stablelm.py);
the files are committed. The forward runs in float64 on the f32 weights.
"""
import torch

from gen_hf_llama import LLAMA, gqa, layer_norm, partial_rope, seeded, sizes, write_golden

# StableLmForCausalLM's config (stablelm-2-1_6b's kind, shrunk): a quarter of each 8-dim head rotated (2 dims would
# be a single pair: 0.5 here rotates 4), q / k / v biases, 4 heads / 2 KV heads, untied.
STABLELM = {k: v for k, v in dict(LLAMA, architectures=["StableLmForCausalLM"], model_type="stablelm", hidden_act="silu", layer_norm_eps=1e-5,
            rope_scaling=None, partial_rotary_factor=0.5, use_qkv_bias=True, qk_layernorm=False, use_parallel_residual=False).items() if k != "rms_norm_eps"}


def build(cfg, seed, std=0.2):
    D, L, H, KV, F, V, hd = sizes(cfg)
    w, rand = seeded(seed, std)
    rand("model.embed_tokens.weight", V, D, s=1.0)
    for l in range(L):
        p = f"model.layers.{l}."
        for n in ("input_layernorm", "post_attention_layernorm"):
            rand(p + n + ".weight", D, s=0.1, mean=1.0)
            rand(p + n + ".bias", D, s=0.1)
        for t, n in (("q", H), ("k", KV), ("v", KV)):
            rand(p + f"self_attn.{t}_proj.weight", n * hd, D)
            rand(p + f"self_attn.{t}_proj.bias", n * hd, s=0.5)
        rand(p + "self_attn.o_proj.weight", D, H * hd)
        rand(p + "mlp.gate_proj.weight", F, D)
        rand(p + "mlp.up_proj.weight", F, D)
        rand(p + "mlp.down_proj.weight", D, F)
    rand("model.norm.weight", D, s=0.1, mean=1.0)
    rand("model.norm.bias", D, s=0.1)
    rand("lm_head.weight", V, D)
    return w


def forward(cfg, w, ids):
    D, _, H, KV, _, _, hd = sizes(cfg)
    W = {k: v.to(torch.float64) for k, v in w.items()}
    T = len(ids)

    def ln(x, name):  # nn.LayerNorm
        return layer_norm(x, W, name, cfg["layer_norm_eps"])

    rope = partial_rope(cfg["rope_theta"], int(cfg["partial_rotary_factor"] * hd), T)  # StableLmAttention: the first dims of each head turn

    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = ln(x, p + "input_layernorm")
        q = (h @ W[p + "self_attn.q_proj.weight"].T + W[p + "self_attn.q_proj.bias"]).view(T, H, hd).transpose(0, 1)
        k = (h @ W[p + "self_attn.k_proj.weight"].T + W[p + "self_attn.k_proj.bias"]).view(T, KV, hd).transpose(0, 1)
        v = (h @ W[p + "self_attn.v_proj.weight"].T + W[p + "self_attn.v_proj.bias"]).view(T, KV, hd).transpose(0, 1)
        q, k = rope(q), rope(k)
        a = gqa(q, k, v, mask)
        x = x + a @ W[p + "self_attn.o_proj.weight"].T
        f = ln(x, p + "post_attention_layernorm")
        x = x + (torch.nn.functional.silu(f @ W[p + "mlp.gate_proj.weight"].T) * (f @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
    return ln(x, "model.norm") @ W["lm_head.weight"].T


if __name__ == "__main__":
    write_golden("hf_stablelm", STABLELM, build(STABLELM, 2046), forward)
