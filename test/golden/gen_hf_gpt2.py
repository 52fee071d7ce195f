"""Writes test/golden/hf_gpt2/: a tiny Hugging Face GPT-2 checkpoint (GPT2LMHeadModel's config.json + model.safetensors,
HF tensor names, seeded random weights) and golden.json, the logits PyTorch computes with transformers' modeling_gpt2
math written out in plain torch (no `transformers` needed): token plus learned position embeddings (wte, wpe), then
per block x + c_proj(attn(c_attn(ln_1(x)))) and x + mlp.c_proj(gelu_new(mlp.c_fc(ln_2(x)))), where every Conv1D
computes x @ W + b with W stored [in, out]; c_attn's outputs are q, k and v one after another; causal attention scaled
by head_dim^-0.5; ln_f, and the head tied to wte (tie_word_embeddings absent: transformers' default, true). Run once
with Debian's PyTorch (/usr/bin/python3 test/golden/gen_hf_gpt2.py); the files are committed. Forward in float64.
"""
import torch

from gen_hf_llama import IDS, layer_norm, seeded, write_golden

# GPT2LMHeadModel's config (gpt2's, shrunk): 2 layers of 4 heads at 32 dims, 32 positions (the 14 ids use the first 14).
GPT2 = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 260, "n_positions": 32, "n_embd": 32, "n_layer": 2, "n_head": 4,
        "n_inner": 48, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
        "scale_attn_weights": True, "torch_dtype": "float32"}


def build(cfg, seed, std=0.2):
    D, L, F, V, P = (cfg[k] for k in ("n_embd", "n_layer", "n_inner", "vocab_size", "n_positions"))
    w, rand = seeded(seed, std)
    rand("transformer.wte.weight", V, D, s=0.5)
    rand("transformer.wpe.weight", P, D, s=0.3)
    for l in range(L):
        p = f"transformer.h.{l}."
        for n in ("ln_1", "ln_2"):
            rand(p + n + ".weight", D, s=0.1, mean=1.0)
            rand(p + n + ".bias", D, s=0.1)
        for n, i, o in (("attn.c_attn", D, 3 * D), ("attn.c_proj", D, D), ("mlp.c_fc", D, F), ("mlp.c_proj", F, D)):  # Conv1D: [in, out]
            rand(p + n + ".weight", i, o)
            rand(p + n + ".bias", o, s=0.5)
    rand("transformer.ln_f.weight", D, s=0.1, mean=1.0)
    rand("transformer.ln_f.bias", D, s=0.1)
    return w


def forward(cfg, w, ids):
    D, H = cfg["n_embd"], cfg["n_head"]
    hd = D // H
    W = {k: v.to(torch.float64) for k, v in w.items()}
    T = len(ids)

    def ln(x, name):
        return layer_norm(x, W, name, cfg["layer_norm_epsilon"])

    def conv1d(x, name):  # transformers' Conv1D: x @ W + b, W [in, out]
        return x @ W[name + ".weight"] + W[name + ".bias"]

    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    x = W["transformer.wte.weight"][torch.tensor(ids)] + W["transformer.wpe.weight"][:T]
    for l in range(cfg["n_layer"]):
        p = f"transformer.h.{l}."
        q, k, v = (t.view(T, H, hd).transpose(0, 1) for t in conv1d(ln(x, p + "ln_1"), p + "attn.c_attn").split(D, dim=-1))
        a = torch.softmax(q @ k.transpose(-1, -2) / hd**0.5 + mask, dim=-1) @ v
        x = x + conv1d(a.transpose(0, 1).reshape(T, D), p + "attn.c_proj")
        x = x + conv1d(torch.nn.functional.gelu(conv1d(ln(x, p + "ln_2"), p + "mlp.c_fc"), approximate="tanh"), p + "mlp.c_proj")
    return ln(x, "transformer.ln_f") @ W["transformer.wte.weight"].T


if __name__ == "__main__":
    assert len(IDS) <= GPT2["n_positions"]
    write_golden("hf_gpt2", GPT2, build(GPT2, 2052), forward)
