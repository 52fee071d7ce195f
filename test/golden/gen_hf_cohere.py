"""Writes test/golden/hf_cohere/ and hf_cohere2/: a tiny Hugging Face Cohere checkpoint (CohereForCausalLM: Command R /
Aya) and a tiny Cohere2 one (Cohere2ForCausalLM: Command R7B) (config.json + model.safetensors, HF tensor names, seeded
random weights) and golden.json, the logits PyTorch computes with transformers' modeling_cohere / modeling_cohere2
math written out in plain torch (no `transformers` needed): a parallel block, x + attn(h) + mlp(h) with h =
input_layernorm(x), CohereLayerNorm (mean-centred, a weight and no bias), RoPE on interleaved pairs (cos and sin of
frequency i repeated for dims 2i and 2i + 1; rotate_half(x) = (-x[2i+1], x[2i])), grouped-query attention scaled by
head_dim^-0.5, SwiGLU, the final norm, logits = embed_tokens(h) times logit_scale (tied). Cohere2 slides 3 of every 4
layers (keys within sliding_window of the query) and gives its full_attention layers no RoPE. Run once with Debian's
PyTorch (/usr/bin/python3 test/golden/gen_hf_cohere.py); the files are committed. The forward runs in float64.
"""
import torch

from gen_hf_llama import LLAMA, gqa, layer_norm, seeded, sizes, write_golden

# CohereForCausalLM's config (aya-expanse-8b's kind, shrunk): tied, logit_scale 0.25, 4 heads / 2 KV heads.
COHERE = {k: v for k, v in dict(LLAMA, architectures=["CohereForCausalLM"], model_type="cohere", hidden_act="silu", layer_norm_eps=1e-5, logit_scale=0.25,
          use_qk_norm=False, attention_bias=False, rope_scaling=None, tie_word_embeddings=True).items() if k != "rms_norm_eps"}
# Cohere2ForCausalLM's config (c4ai-command-r7b's kind, shrunk): 4 layers, 3 sliding over 4 positions (the 14 ids pass
# it) with RoPE, the fourth full_attention without.
COHERE2 = dict(COHERE, architectures=["Cohere2ForCausalLM"], model_type="cohere2", num_hidden_layers=4, sliding_window=4, sliding_window_pattern=4,
               layer_types=["sliding_attention", "sliding_attention", "sliding_attention", "full_attention"])


def build(cfg, seed, std=0.2):
    D, L, H, KV, F, V, hd = sizes(cfg)
    w, rand = seeded(seed, std)
    rand("model.embed_tokens.weight", V, D, s=0.5)
    for l in range(L):
        p = f"model.layers.{l}."
        rand(p + "input_layernorm.weight", D, s=0.1, mean=1.0)
        for t, n in (("q", H), ("k", KV), ("v", KV)):
            rand(p + f"self_attn.{t}_proj.weight", n * hd, D)
        rand(p + "self_attn.o_proj.weight", D, H * hd)
        rand(p + "mlp.gate_proj.weight", F, D)
        rand(p + "mlp.up_proj.weight", F, D)
        rand(p + "mlp.down_proj.weight", D, F)
    rand("model.norm.weight", D, s=0.1, mean=1.0)
    return w


def forward(cfg, w, ids):
    D, _, H, KV, _, _, hd = sizes(cfg)
    W = {k: v.to(torch.float64) for k, v in w.items()}
    T = len(ids)

    def ln(x, name):  # CohereLayerNorm: no bias
        return layer_norm(x, W, name, cfg["layer_norm_eps"], bias=False)

    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    emb = torch.repeat_interleave(torch.outer(torch.arange(T, dtype=torch.float64), inv), 2, dim=-1)
    cos, sin = emb.cos(), emb.sin()

    def rot(x):  # Cohere's rotate_half: interleaved pairs
        return torch.stack((-x[..., 1::2], x[..., ::2]), dim=-1).flatten(-2)

    i = torch.arange(T)
    causal = i[None, :] <= i[:, None]
    for_layer = []
    for l in range(cfg["num_hidden_layers"]):
        sliding = cfg.get("layer_types", ["full_attention"] * 64)[l] == "sliding_attention"
        keep = causal & (i[:, None] - i[None, :] < cfg["sliding_window"]) if sliding else causal
        for_layer.append((sliding, torch.where(keep, 0.0, float("-inf")).to(torch.float64)))
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        sliding, mask = for_layer[l]
        h = ln(x, p + "input_layernorm")
        q = (h @ W[p + "self_attn.q_proj.weight"].T).view(T, H, hd).transpose(0, 1)
        k = (h @ W[p + "self_attn.k_proj.weight"].T).view(T, KV, hd).transpose(0, 1)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).view(T, KV, hd).transpose(0, 1)
        if sliding or cfg["model_type"] == "cohere":  # Cohere2's full_attention layers apply no RoPE
            q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        a = gqa(q, k, v, mask)
        attn = a @ W[p + "self_attn.o_proj.weight"].T
        mlp = (torch.nn.functional.silu(h @ W[p + "mlp.gate_proj.weight"].T) * (h @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
        x = x + attn + mlp
    return (ln(x, "model.norm") @ W["model.embed_tokens.weight"].T) * cfg["logit_scale"]


if __name__ == "__main__":
    write_golden("hf_cohere", COHERE, build(COHERE, 2049), forward)
    write_golden("hf_cohere2", COHERE2, build(COHERE2, 2050), forward)
