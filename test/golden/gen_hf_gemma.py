"""Writes test/golden/hf_gemma/: a tiny Hugging Face Gemma 1 checkpoint (GemmaForCausalLM's config.json +
model.safetensors, HF tensor names, seeded random weights) and golden.json, the logits PyTorch computes with
transformers' modeling_gemma math written out in plain torch (no `transformers` needed): embeddings times
sqrt(hidden_size) (an f32 value, GemmaModel's normalizer in the weights' dtype), RMSNorm times (1 + weight) (weights
stored zero-centred), rotate-half RoPE, multi-query attention (1 KV head) scaled by head_dim^-0.5, the MLP
down(gelu_tanh(gate) * up) (the config's hidden_act "gelu" with no hidden_activation: GemmaMLP runs the tanh form),
the head tied to the unscaled embedding. Run once with Debian's PyTorch (/usr/bin/python3 test/golden/gen_hf_gemma.py);
the files are committed. The forward runs in float64 on the f32 weights.
"""
import torch

from gen_hf_llama import LLAMA, rotate_half, write_golden

# GemmaForCausalLM's config (gemma-2b's kind, shrunk): head_dim 16 over hidden 32 / 4 heads, one KV head, tied.
GEMMA = dict(LLAMA, architectures=["GemmaForCausalLM"], model_type="gemma", num_key_value_heads=1, head_dim=16, hidden_act="gelu",
             hidden_activation=None, rope_scaling=None, attention_bias=False, tie_word_embeddings=True)


def build(cfg, seed, std=0.2):
    torch.manual_seed(seed)
    D, L, H, KV, F, V, hd = (cfg[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size", "vocab_size", "head_dim"))
    w = {}

    def rand(name, *shape, s=std):
        w[name] = (torch.randn(*shape) * s).to(torch.float32)

    rand("model.embed_tokens.weight", V, D, s=D**-0.5)
    for l in range(L):
        p = f"model.layers.{l}."
        for n in ("input_layernorm", "post_attention_layernorm"):
            rand(p + n + ".weight", D, s=0.1)  # zero-centred: the norm multiplies by 1 + weight
        rand(p + "self_attn.q_proj.weight", H * hd, D)
        rand(p + "self_attn.k_proj.weight", KV * hd, D)
        rand(p + "self_attn.v_proj.weight", KV * hd, D)
        rand(p + "self_attn.o_proj.weight", D, H * hd)
        rand(p + "mlp.gate_proj.weight", F, D)
        rand(p + "mlp.up_proj.weight", F, D)
        rand(p + "mlp.down_proj.weight", D, F)
    rand("model.norm.weight", D, s=0.1)
    return w


def forward(cfg, w, ids):
    D, H, KV, hd = (cfg[k] for k in ("hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim"))
    W = {k: v.to(torch.float64) for k, v in w.items()}
    T = len(ids)

    def norm(x, name):  # GemmaRMSNorm
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + cfg["rms_norm_eps"]) * (1.0 + W[name])

    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    emb = torch.cat((ang, ang), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    x = W["model.embed_tokens.weight"][torch.tensor(ids)] * torch.tensor(D**0.5, dtype=torch.float32).item()
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = norm(x, p + "input_layernorm.weight")
        q = (h @ W[p + "self_attn.q_proj.weight"].T).view(T, H, hd).transpose(0, 1)
        k = (h @ W[p + "self_attn.k_proj.weight"].T).view(T, KV, hd).transpose(0, 1)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).view(T, KV, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KV, dim=0)
        v = v.repeat_interleave(H // KV, dim=0)
        a = torch.softmax(q @ k.transpose(-1, -2) * hd**-0.5 + mask, dim=-1) @ v
        x = x + a.transpose(0, 1).reshape(T, H * hd) @ W[p + "self_attn.o_proj.weight"].T
        f = norm(x, p + "post_attention_layernorm.weight")
        g = torch.nn.functional.gelu(f @ W[p + "mlp.gate_proj.weight"].T, approximate="tanh")
        x = x + (g * (f @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
    return norm(x, "model.norm.weight") @ W["model.embed_tokens.weight"].T


if __name__ == "__main__":
    write_golden("hf_gemma", GEMMA, build(GEMMA, 2045), forward)
