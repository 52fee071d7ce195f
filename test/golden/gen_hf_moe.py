"""Writes test/golden/hf_mixtral/, hf_qwen3_moe/, hf_olmoe/, hf_qwen2_moe/, hf_granitemoe/, hf_ernie4_5_moe/, hf_granite4/,
hf_granite4_nope/ and hf_granite4_moe/: tiny Hugging Face
mixture-of-experts checkpoints (config.json + model.safetensors, HF tensor names, seeded random weights) and
golden.json, the logits PyTorch computes with each model's forward written out in plain torch (no `transformers`):
a Llama-style decoder (RMSNorm, rotate-half RoPE, grouped-query attention) whose MLP is a sparse mixture of experts:
  router logits = h @ gate^T, routing weights = softmax over the experts (float64 here), the num_experts_per_tok
  largest kept (torch.topk), divided by their sum where the model normalizes (Mixtral always; Qwen3-MoE with
  norm_topk_prob true; OLMoE and Qwen2-MoE with it false: not), each chosen expert's SwiGLU down(silu(gate x) * up x)
  times its weight, summed.
Mixtral (MixtralSparseMoeBlock): block_sparse_moe.gate and experts.E.w1 (gate) / w3 (up) / w2 (down).
Qwen3-MoE (Qwen3MoeSparseMoeBlock): mlp.gate and mlp.experts.E.{gate,up,down}_proj, per-head q / k norms,
  moe_intermediate_size, norm_topk_prob true.
OLMoE (OlmoeSparseMoeBlock): the same names, q / k RMS-normalized over the whole projection (q_norm [hidden]), no
  renormalization.
Qwen2-MoE (Qwen2MoeSparseMoeBlock): q / k / v biases, no renormalization, plus a shared expert
  (mlp.shared_expert.{gate,up,down}_proj, shared_expert_intermediate_size) times sigmoid(mlp.shared_expert_gate . h).
Granite MoE shared (GraniteMoeSharedForCausalLM: GraniteMoe's router.layer, input_linear [E, 2 ffn, hidden] whose
  first half is the gate and second the up projection, output_linear [E, hidden, ffn]; the top-k logits' softmax,
  i.e. the renormalized weights; a shared_mlp of the same fused form added ungated; granite's multipliers around it
  all: embeddings, scores, the residual adds and the logits).
ERNIE 4.5 MoE (Ernie4_5_MoeForCausalLM): Ernie 4.5's interleaved ("glm style") RoPE, tied, no biases; layers from
  moe_layer_start_index on sparse (the first dense, mlp.{gate,up,down}_proj), mlp.gate a float32 router whose softmax
  plus mlp.moe_statics.e_score_correction_bias [1, E] chooses the moe_k experts (the bias only chooses: the weights are
  the softmax's, renormalized), and mlp.shared_experts (moe_intermediate_size x moe_num_shared_experts wide) added
  ungated.
Granite 4.0 (GraniteMoeHybridForCausalLM) with every layer attention (Granite 4.0 1B / 350M / Micro; the H models'
  Mamba-2 layers are not imported): granitemoeshared's block, its shared_mlp the dense MLP where num_local_experts is 0
  (hf_granite4), RoPE only where position_embedding_type is "rope" (hf_granite4_nope: none), and with experts
  (hf_granite4_moe: granitemoeshared's layout).
Run once with Debian's PyTorch (/usr/bin/python3 test/golden/gen_hf_moe.py); the files are committed. The forward
runs in float64 on the f32 weights.
"""
import torch

from gen_hf_llama import LLAMA, rms, rotate_half, write_golden

BASE = dict(LLAMA, vocab_size=260, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32)
MIXTRAL = dict(BASE, architectures=["MixtralForCausalLM"], model_type="mixtral", intermediate_size=32, num_local_experts=4, num_experts_per_tok=2,
               sliding_window=None, router_aux_loss_coef=0.02, output_router_logits=False, rope_theta=1000000.0)
QWEN3_MOE = dict(BASE, architectures=["Qwen3MoeForCausalLM"], model_type="qwen3_moe", head_dim=16, intermediate_size=96, moe_intermediate_size=24,
                 num_experts=8, num_experts_per_tok=3, norm_topk_prob=True, decoder_sparse_step=1, mlp_only_layers=[], attention_bias=False,
                 use_sliding_window=False, sliding_window=None, tie_word_embeddings=True, rope_theta=1000000.0)
OLMOE = dict(BASE, architectures=["OlmoeForCausalLM"], model_type="olmoe", num_key_value_heads=4, intermediate_size=32, num_experts=8,
             num_experts_per_tok=2, norm_topk_prob=False, clip_qkv=None, attention_bias=False, rope_theta=10000.0)
QWEN2_MOE = dict(BASE, architectures=["Qwen2MoeForCausalLM"], model_type="qwen2_moe", intermediate_size=96, moe_intermediate_size=16,
                 shared_expert_intermediate_size=48, num_experts=6, num_experts_per_tok=2, norm_topk_prob=False, decoder_sparse_step=1,
                 mlp_only_layers=[], use_sliding_window=False, sliding_window=None, rope_theta=1000000.0)
GRANITEMOE = dict(BASE, architectures=["GraniteMoeSharedForCausalLM"], model_type="granitemoeshared", intermediate_size=32, shared_intermediate_size=40,
                  num_local_experts=4, num_experts_per_tok=2, embedding_multiplier=4.0, attention_multiplier=0.2, residual_multiplier=0.5,
                  logits_scaling=2.5, tie_word_embeddings=True, rope_theta=10000.0)
ERNIE45_MOE = dict(BASE, architectures=["Ernie4_5_MoeForCausalLM"], model_type="ernie4_5_moe", num_hidden_layers=3, intermediate_size=48,
                   moe_intermediate_size=16, moe_num_experts=8, moe_k=3, moe_num_shared_experts=2, moe_layer_start_index=1, moe_layer_end_index=-1,
                   moe_layer_interval=1, moe_norm_min=1e-12, use_bias=False, tie_word_embeddings=True, rope_theta=500000.0)
GRANITE4 = dict(GRANITEMOE, architectures=["GraniteMoeHybridForCausalLM"], model_type="granitemoehybrid", num_local_experts=0, num_experts_per_tok=0,
                intermediate_size=48, shared_intermediate_size=48, layer_types=["attention", "attention"], position_embedding_type="rope",
                mamba_n_heads=4, mamba_d_state=16, mamba_d_conv=4, mamba_expand=2)
GRANITE4_NOPE = dict(GRANITE4, position_embedding_type=None)
GRANITE4_MOE = dict(GRANITE4, num_local_experts=4, num_experts_per_tok=2, intermediate_size=32, shared_intermediate_size=40)


def build(cfg, seed, std=0.2):
    torch.manual_seed(seed)
    t = cfg["model_type"]
    D, L, H, KV, V = (cfg[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "vocab_size"))
    hd = cfg.get("head_dim", D // H)
    E = cfg.get("num_experts", cfg.get("num_local_experts", cfg.get("moe_num_experts")))
    F = cfg.get("moe_intermediate_size", cfg["intermediate_size"])
    w = {}

    def rand(name, *shape, s=std, mean=0.0):
        w[name] = (mean + torch.randn(*shape) * s).to(torch.float32)

    rand("model.embed_tokens.weight", V, D, s=1.0)
    for l in range(L):
        p = f"model.layers.{l}."
        rand(p + "input_layernorm.weight", D, s=0.1, mean=1.0)
        rand(p + "post_attention_layernorm.weight", D, s=0.1, mean=1.0)
        for n, rows in (("q", H * hd), ("k", KV * hd), ("v", KV * hd)):
            rand(p + f"self_attn.{n}_proj.weight", rows, D)
            if t == "qwen2_moe":
                rand(p + f"self_attn.{n}_proj.bias", rows, s=0.5)
        rand(p + "self_attn.o_proj.weight", D, H * hd)
        if t == "qwen3_moe":
            for n in ("q", "k"):
                rand(p + f"self_attn.{n}_norm.weight", hd, s=0.2, mean=1.0)
        if t == "olmoe":
            rand(p + "self_attn.q_norm.weight", H * hd, s=0.2, mean=1.0)
            rand(p + "self_attn.k_norm.weight", KV * hd, s=0.2, mean=1.0)
        # routers of std 1: logits spread well apart, so no top-k choice sits near a tie
        if t == "ernie4_5_moe" and l < cfg["moe_layer_start_index"]:  # a dense layer
            I = cfg["intermediate_size"]
            for n, shape in (("gate_proj", (I, D)), ("up_proj", (I, D)), ("down_proj", (D, I))):
                rand(p + f"mlp.{n}.weight", *shape)
        elif t == "mixtral":
            rand(p + "block_sparse_moe.gate.weight", E, D, s=1.0)
            for e in range(E):
                for n, shape in (("w1", (F, D)), ("w3", (F, D)), ("w2", (D, F))):
                    rand(p + f"block_sparse_moe.experts.{e}.{n}.weight", *shape)
        elif t in ("granitemoeshared", "granitemoehybrid"):
            if E:
                rand(p + "block_sparse_moe.router.layer.weight", E, D, s=1.0)
                rand(p + "block_sparse_moe.input_linear.weight", E, 2 * F, D)
                rand(p + "block_sparse_moe.output_linear.weight", E, D, F)
            S = cfg["shared_intermediate_size"]
            rand(p + "shared_mlp.input_linear.weight", 2 * S, D)
            rand(p + "shared_mlp.output_linear.weight", D, S)
        else:
            rand(p + "mlp.gate.weight", E, D, s=1.0)
            for e in range(E):
                for n, shape in (("gate_proj", (F, D)), ("up_proj", (F, D)), ("down_proj", (D, F))):
                    rand(p + f"mlp.experts.{e}.{n}.weight", *shape)
            if t == "qwen2_moe":
                S = cfg["shared_expert_intermediate_size"]
                for n, shape in (("gate_proj", (S, D)), ("up_proj", (S, D)), ("down_proj", (D, S))):
                    rand(p + f"mlp.shared_expert.{n}.weight", *shape)
                rand(p + "mlp.shared_expert_gate.weight", 1, D, s=0.5)
            if t == "ernie4_5_moe":
                S = F * cfg["moe_num_shared_experts"]
                for n, shape in (("gate_proj", (S, D)), ("up_proj", (S, D)), ("down_proj", (D, S))):
                    rand(p + f"mlp.shared_experts.{n}.weight", *shape)
                # of the probabilities' scale (1 / E), so that it changes some rows' choice
                rand(p + "mlp.moe_statics.e_score_correction_bias", 1, E, s=0.1)
    rand("model.norm.weight", D, s=0.1, mean=1.0)
    if not cfg["tie_word_embeddings"]:
        rand("lm_head.weight", V, D)
    return w


def moe(cfg, W, p, h):
    """The sparse MoE block of h [T, hidden]."""
    t = cfg["model_type"]
    k = cfg.get("num_experts_per_tok", cfg.get("moe_k"))
    silu = torch.nn.functional.silu
    if t == "mixtral":
        logits = h @ W[p + "block_sparse_moe.gate.weight"].T
        expert = lambda e, x: (silu(x @ W[p + f"block_sparse_moe.experts.{e}.w1.weight"].T) * (x @ W[p + f"block_sparse_moe.experts.{e}.w3.weight"].T)) @ W[p + f"block_sparse_moe.experts.{e}.w2.weight"].T
        norm = True
    elif t == "granitemoehybrid" and not cfg["num_local_experts"]:  # the shared MLP alone: a dense SwiGLU
        g, u = (h @ W[p + "shared_mlp.input_linear.weight"].T).chunk(2, dim=-1)
        return (silu(g) * u) @ W[p + "shared_mlp.output_linear.weight"].T
    elif t in ("granitemoeshared", "granitemoehybrid"):
        logits = h @ W[p + "block_sparse_moe.router.layer.weight"].T

        def expert(e, x):
            g, u = (x @ W[p + "block_sparse_moe.input_linear.weight"][e].T).chunk(2, dim=-1)
            return (silu(g) * u) @ W[p + "block_sparse_moe.output_linear.weight"][e].T

        norm = True  # GraniteMoeTopKGating: softmax of the top-k logits
    elif t == "ernie4_5_moe" and p + "mlp.gate.weight" not in W:  # a dense layer
        return (silu(h @ W[p + "mlp.gate_proj.weight"].T) * (h @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
    else:
        logits = h @ W[p + "mlp.gate.weight"].T
        expert = lambda e, x: (silu(x @ W[p + f"mlp.experts.{e}.gate_proj.weight"].T) * (x @ W[p + f"mlp.experts.{e}.up_proj.weight"].T)) @ W[p + f"mlp.experts.{e}.down_proj.weight"].T
        norm = cfg.get("norm_topk_prob", True)  # (Ernie 4.5 MoE always renormalizes)
    probs = torch.softmax(logits, dim=-1)
    if t == "ernie4_5_moe":  # Ernie4_5_MoeStatics: the bias chooses, the probabilities weigh
        idx = torch.topk(probs + W[p + "mlp.moe_statics.e_score_correction_bias"][0], k, dim=-1).indices
        top = probs.gather(-1, idx)
    else:
        top, idx = torch.topk(probs, k, dim=-1)
    if norm:
        top = top / top.sum(-1, keepdim=True)
    out = torch.zeros_like(h)
    for r in range(h.shape[0]):
        for j in range(k):
            out[r] += top[r, j] * expert(int(idx[r, j]), h[r : r + 1])[0]
    if t == "qwen2_moe":
        s = (silu(h @ W[p + "mlp.shared_expert.gate_proj.weight"].T) * (h @ W[p + "mlp.shared_expert.up_proj.weight"].T)) @ W[p + "mlp.shared_expert.down_proj.weight"].T
        out = out + torch.sigmoid(h @ W[p + "mlp.shared_expert_gate.weight"].T) * s
    if t == "ernie4_5_moe":
        out = out + (silu(h @ W[p + "mlp.shared_experts.gate_proj.weight"].T) * (h @ W[p + "mlp.shared_experts.up_proj.weight"].T)) @ W[p + "mlp.shared_experts.down_proj.weight"].T
    if t in ("granitemoeshared", "granitemoehybrid"):
        g, u = (h @ W[p + "shared_mlp.input_linear.weight"].T).chunk(2, dim=-1)
        out = out + (silu(g) * u) @ W[p + "shared_mlp.output_linear.weight"].T
    return out


def forward(cfg, w, ids):
    D, L, H, KV = (cfg[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads"))
    hd = cfg.get("head_dim", D // H)
    W = {k: v.to(torch.float64) for k, v in w.items()}
    zero = torch.zeros(1, dtype=torch.float64)
    T = len(ids)
    granite = cfg["model_type"] in ("granitemoeshared", "granitemoehybrid")
    rope = cfg.get("position_embedding_type", "rope") == "rope"  # GraniteMoeHybrid rotates only with "rope"
    x = W["model.embed_tokens.weight"][torch.tensor(ids)] * (cfg["embedding_multiplier"] if granite else 1.0)
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    emb = torch.cat((torch.outer(torch.arange(T, dtype=torch.float64), inv),) * 2, dim=-1)
    cos, sin = emb.cos(), emb.sin()
    rot = rotate_half
    if cfg["model_type"] == "ernie4_5_moe":  # Ernie 4.5's "glm rope style": adjacent pairs, cos / sin repeated per pair
        ang = emb[:, : hd // 2]
        cos, sin = ang.cos().repeat_interleave(2, dim=-1), ang.sin().repeat_interleave(2, dim=-1)
        rot = lambda x: torch.stack((-x[..., 1::2], x[..., 0::2]), dim=-1).flatten(-2)
    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    rs = cfg["residual_multiplier"] if granite else 1.0
    for l in range(L):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "input_layernorm.weight"], cfg)
        q = h @ W[p + "self_attn.q_proj.weight"].T + W.get(p + "self_attn.q_proj.bias", zero)
        k = h @ W[p + "self_attn.k_proj.weight"].T + W.get(p + "self_attn.k_proj.bias", zero)
        v = h @ W[p + "self_attn.v_proj.weight"].T + W.get(p + "self_attn.v_proj.bias", zero)
        if cfg["model_type"] == "olmoe":  # OlmoeAttention: q_norm / k_norm over the whole projection
            q, k = rms(q, W[p + "self_attn.q_norm.weight"], cfg), rms(k, W[p + "self_attn.k_norm.weight"], cfg)
        q, k, v = (t.view(T, n, hd).transpose(0, 1) for t, n in ((q, H), (k, KV), (v, KV)))
        if cfg["model_type"] == "qwen3_moe":  # per head
            q, k = rms(q, W[p + "self_attn.q_norm.weight"], cfg), rms(k, W[p + "self_attn.k_norm.weight"], cfg)
        if rope:
            q = q * cos + rot(q) * sin
            k = k * cos + rot(k) * sin
        k = k.repeat_interleave(H // KV, dim=0)
        v = v.repeat_interleave(H // KV, dim=0)
        scale = cfg["attention_multiplier"] if granite else hd**-0.5
        a = torch.softmax(q @ k.transpose(-1, -2) * scale + mask, dim=-1) @ v
        x = x + rs * (a.transpose(0, 1).reshape(T, H * hd) @ W[p + "self_attn.o_proj.weight"].T)
        x = x + rs * moe(cfg, W, p, rms(x, W[p + "post_attention_layernorm.weight"], cfg))
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    z = rms(x, W["model.norm.weight"], cfg) @ head.T
    return z / cfg["logits_scaling"] if granite else z


if __name__ == "__main__":
    for name, cfg, seed in (("hf_mixtral", MIXTRAL, 2101), ("hf_qwen3_moe", QWEN3_MOE, 2102), ("hf_olmoe", OLMOE, 2103), ("hf_qwen2_moe", QWEN2_MOE, 2104), ("hf_granitemoe", GRANITEMOE, 2105), ("hf_ernie4_5_moe", ERNIE45_MOE, 2106),
                             ("hf_granite4", GRANITE4, 2107), ("hf_granite4_nope", GRANITE4_NOPE, 2108),
                             ("hf_granite4_moe", GRANITE4_MOE, 2109)):
        write_golden(name, cfg, build(cfg, seed), forward)
