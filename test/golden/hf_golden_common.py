"""Helpers of the golden scripts (gen_hf_*.py): the forward's building blocks in plain torch (RMSNorm, rotate-half
RoPE, LayerNorm, grouped-query attention, partial RoPE), seeded weights, and the writer of a golden directory
(config.json, model.safetensors, golden.json with the logits of IDS). Moved out of gen_hf_llama.py, which imports them
(so `from gen_hf_llama import rms, write_golden, ...` still works); nothing here changed a golden.
"""
import json
import os
import struct

import torch


def rms(x, g, cfg):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + cfg["rms_norm_eps"]) * g


def rotate_half(x):
    a, b = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-b, a), dim=-1)


# Helpers of the LayerNorm models' scripts (gen_hf_stablelm.py, gen_hf_starcoder2.py, gen_hf_phi2.py, gen_hf_cohere.py).
def sizes(cfg):
    """hidden, layers, heads, KV heads, MLP width, vocabulary, head dim."""
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    return D, cfg["num_hidden_layers"], H, cfg["num_key_value_heads"], cfg["intermediate_size"], cfg["vocab_size"], D // H


def seeded(seed, std):
    """torch seeded, an empty dict of weights by HF name and rand(name, *shape, s=std, mean=0.0) filling it (f32)."""
    torch.manual_seed(seed)
    w = {}

    def rand(name, *shape, s=std, mean=0.0):
        w[name] = (mean + torch.randn(*shape) * s).to(torch.float32)

    return w, rand


def rope_tables(base, hd, T):
    """cos and sin [T, hd] of rotate-half RoPE with this base at positions 0..T-1 (float64)."""
    inv = 1.0 / (base ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    emb = torch.cat((torch.outer(torch.arange(T, dtype=torch.float64), inv),) * 2, dim=-1)
    return emb.cos(), emb.sin()


def causal_mask(T):
    """[T, T]: 0 on and below the diagonal, -inf above (float64)."""
    return torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)


def layer_norm(x, W, name, eps, bias=True):
    """nn.LayerNorm (bias False: Cohere's, a weight alone)."""
    m = x.mean(-1, keepdim=True)
    y = (x - m) * torch.rsqrt((x - m).pow(2).mean(-1, keepdim=True) + eps) * W[name + ".weight"]
    return y + W[name + ".bias"] if bias else y


def gqa(q, k, v, mask):
    """Grouped-query attention of q [H, T, hd] over k, v [KV, T, hd] (repeat_kv), scaled by hd^-0.5: [T, H * hd]."""
    H, T, hd = q.shape
    k = k.repeat_interleave(H // k.shape[0], dim=0)
    v = v.repeat_interleave(H // v.shape[0], dim=0)
    a = torch.softmax(q @ k.transpose(-1, -2) / hd**0.5 + mask, dim=-1) @ v
    return a.transpose(0, 1).reshape(T, H * hd)


def partial_rope(theta, rot, T):
    """rope(x): rotate-half RoPE over the first `rot` dims of each head at positions 0..T-1, the rest passed through."""
    inv = 1.0 / (theta ** (torch.arange(0, rot, 2, dtype=torch.float64) / rot))
    emb = torch.cat((torch.outer(torch.arange(T, dtype=torch.float64), inv),) * 2, dim=-1)
    cos, sin = emb.cos(), emb.sin()

    def rope(x):
        r, p = x[..., :rot], x[..., rot:]
        return torch.cat((r * cos + rotate_half(r) * sin, p), dim=-1)

    return rope


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


IDS = [1, 17, 5, 42, 9, 63, 0, 28, 33, 12, 7, 50, 200, 259]


def write_golden(name, cfg, w, forward_fn):
    """test/golden/<name>/: config.json, model.safetensors and golden.json (forward_fn's logits of IDS)."""
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    write_safetensors(os.path.join(out, "model.safetensors"), w)
    logits = forward_fn(cfg, w, IDS)
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump({"torch": torch.__version__, "ids": IDS, "logits": [float(v) for v in logits.flatten().tolist()]}, f)
    print(f"wrote {out}: {len(w)} tensors, logits [{len(IDS)}, {cfg['vocab_size']}]")
