"""Writes test/golden/hf_phi2/: a tiny Hugging Face Phi checkpoint (PhiForCausalLM's config.json + model.safetensors,
HF tensor names, seeded random weights) and golden.json, the logits PyTorch computes with transformers' modeling_phi
math written out in plain torch (no `transformers` needed): GPT-J's parallel block, x + dense(attn(h)) + fc2(gelu(fc1(h)))
with h = input_layernorm(x) (LayerNorm with bias), biases on q / k / v / dense / fc1 / fc2, rotate-half RoPE over the
first partial_rotary_factor x head_dim dims of each head, grouped-query attention scaled by head_dim^-0.5, gelu_new (the
tanh form), final_layernorm, and lm_head with a bias (untied). Run once with Debian's PyTorch (/usr/bin/python3
test/golden/gen_hf_phi2.py); the files are committed. The forward runs in float64 on the f32 weights.
"""
import torch

from gen_hf_llama import LLAMA, gqa, layer_norm, partial_rope, seeded, sizes, write_golden

# PhiForCausalLM's config (phi-2's kind, shrunk): half of each 8-dim head rotated, 4 heads / 2 KV heads, untied.
PHI2 = {k: v for k, v in dict(LLAMA, architectures=["PhiForCausalLM"], model_type="phi", hidden_act="gelu_new", layer_norm_eps=1e-5, rope_scaling=None,
        partial_rotary_factor=0.5, qk_layernorm=False, resid_pdrop=0.0, embd_pdrop=0.0, attention_dropout=0.0).items() if k != "rms_norm_eps"}


def build(cfg, seed, std=0.2):
    D, L, H, KV, F, V, hd = sizes(cfg)
    w, rand = seeded(seed, std)
    rand("model.embed_tokens.weight", V, D, s=1.0)
    for l in range(L):
        p = f"model.layers.{l}."
        rand(p + "input_layernorm.weight", D, s=0.1, mean=1.0)
        rand(p + "input_layernorm.bias", D, s=0.1)
        for t, n in (("q_proj", H * hd), ("k_proj", KV * hd), ("v_proj", KV * hd), ("dense", D)):
            rand(p + f"self_attn.{t}.weight", n, D if t != "dense" else H * hd)
            rand(p + f"self_attn.{t}.bias", n, s=0.5)
        rand(p + "mlp.fc1.weight", F, D)
        rand(p + "mlp.fc1.bias", F, s=0.5)
        rand(p + "mlp.fc2.weight", D, F)
        rand(p + "mlp.fc2.bias", D, s=0.5)
    rand("model.final_layernorm.weight", D, s=0.1, mean=1.0)
    rand("model.final_layernorm.bias", D, s=0.1)
    rand("lm_head.weight", V, D)
    rand("lm_head.bias", V, s=0.5)
    return w


def forward(cfg, w, ids):
    D, _, H, KV, _, _, hd = sizes(cfg)
    W = {k: v.to(torch.float64) for k, v in w.items()}
    T = len(ids)

    def ln(x, name):  # nn.LayerNorm
        return layer_norm(x, W, name, cfg["layer_norm_eps"])

    def lin(x, name):
        return x @ W[name + ".weight"].T + W[name + ".bias"]

    rope = partial_rope(cfg["rope_theta"], int(cfg["partial_rotary_factor"] * hd), T)  # PhiAttention: the first dims of each head turn

    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = ln(x, p + "input_layernorm")
        q = lin(h, p + "self_attn.q_proj").view(T, H, hd).transpose(0, 1)
        k = lin(h, p + "self_attn.k_proj").view(T, KV, hd).transpose(0, 1)
        v = lin(h, p + "self_attn.v_proj").view(T, KV, hd).transpose(0, 1)
        q, k = rope(q), rope(k)
        a = gqa(q, k, v, mask)
        attn = lin(a, p + "self_attn.dense")
        ffn = lin(torch.nn.functional.gelu(lin(h, p + "mlp.fc1"), approximate="tanh"), p + "mlp.fc2")
        x = attn + ffn + x
    return lin(ln(x, "model.final_layernorm"), "lm_head")


if __name__ == "__main__":
    write_golden("hf_phi2", PHI2, build(PHI2, 2048), forward)
