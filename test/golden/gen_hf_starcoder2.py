"""Writes test/golden/hf_starcoder2/: a tiny Hugging Face StarCoder2 checkpoint (Starcoder2ForCausalLM's config.json +
model.safetensors, HF tensor names, seeded random weights) and golden.json, the logits PyTorch computes with
transformers' modeling_starcoder2 math written out in plain torch (no `transformers` needed): LayerNorm (with bias,
eps norm_epsilon) before attention and the MLP and at the end, biases on q / k / v / o and on the MLP's c_fc and c_proj
(use_bias), rotate-half RoPE over whole heads, grouped-query attention scaled by head_dim^-0.5, the MLP
c_proj(gelu_tanh(c_fc(x))) without a gate, the head tied to the embedding (tie_word_embeddings absent: transformers'
default, true). sliding_window (4096, as StarCoder2's configs) is longer than the ids, so the window masks nothing
(llama.cpp's starcoder2 reads no window). Run once with Debian's PyTorch (/usr/bin/python3
test/golden/gen_hf_starcoder2.py); the files are committed. The forward runs in float64 on the f32 weights.
"""
import torch

from gen_hf_llama import LLAMA, gqa, layer_norm, partial_rope, seeded, sizes, write_golden

# Starcoder2ForCausalLM's config (starcoder2-3b's kind, shrunk): 4 heads / 2 KV heads, every Linear with a bias, tied.
STARCODER2 = {k: v for k, v in dict(LLAMA, architectures=["Starcoder2ForCausalLM"], model_type="starcoder2", hidden_act="gelu_pytorch_tanh", norm_epsilon=1e-5,
              rope_scaling=None, use_bias=True, sliding_window=4096, residual_dropout=0.0, embedding_dropout=0.0, attention_dropout=0.0).items()
              if k not in ("rms_norm_eps", "tie_word_embeddings")}


def build(cfg, seed, std=0.2):
    D, L, H, KV, F, V, hd = sizes(cfg)
    w, rand = seeded(seed, std)
    rand("model.embed_tokens.weight", V, D, s=0.5)
    for l in range(L):
        p = f"model.layers.{l}."
        for n in ("input_layernorm", "post_attention_layernorm"):
            rand(p + n + ".weight", D, s=0.1, mean=1.0)
            rand(p + n + ".bias", D, s=0.1)
        for t, n in (("q", H), ("k", KV), ("v", KV), ("o", None)):
            rand(p + f"self_attn.{t}_proj.weight", n * hd if n else D, D)
            rand(p + f"self_attn.{t}_proj.bias", n * hd if n else D, s=0.5)
        rand(p + "mlp.c_fc.weight", F, D)
        rand(p + "mlp.c_fc.bias", F, s=0.5)
        rand(p + "mlp.c_proj.weight", D, F)
        rand(p + "mlp.c_proj.bias", D, s=0.5)
    rand("model.norm.weight", D, s=0.1, mean=1.0)
    rand("model.norm.bias", D, s=0.1)
    return w


def forward(cfg, w, ids):
    D, _, H, KV, _, _, hd = sizes(cfg)
    W = {k: v.to(torch.float64) for k, v in w.items()}
    T = len(ids)

    def ln(x, name):  # nn.LayerNorm
        return layer_norm(x, W, name, cfg["norm_epsilon"])

    def lin(x, name):
        return x @ W[name + ".weight"].T + W[name + ".bias"]

    rope = partial_rope(cfg["rope_theta"], hd, T)  # whole heads
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
        x = x + lin(a, p + "self_attn.o_proj")
        f = ln(x, p + "post_attention_layernorm")
        x = x + lin(torch.nn.functional.gelu(lin(f, p + "mlp.c_fc"), approximate="tanh"), p + "mlp.c_proj")
    return ln(x, "model.norm") @ W["model.embed_tokens.weight"].T


if __name__ == "__main__":
    write_golden("hf_starcoder2", STARCODER2, build(STARCODER2, 2047), forward)
