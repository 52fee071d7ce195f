"""Writes test/golden/hf_exaone/: a tiny Hugging Face EXAONE 3.x checkpoint (ExaoneForCausalLM's config.json +
model.safetensors; its remote code names a Llama's tensors GPT-2's way: transformer.wte, transformer.h.N.ln_1 /
attn.attention.{q,k,v,out}_proj / ln_2 / mlp.c_fc_0 (gate), c_fc_1 (up), c_proj (down), transformer.ln_f, lm_head)
and golden.json: the logits of gen_hf_llama.py's Llama forward (RMSNorm, rotate-half RoPE with Llama 3's rope_scaling,
GQA, SwiGLU; the math of EXAONE 3.5) on the same weights under Llama's names, untied. Run once with Debian's PyTorch
(/usr/bin/python3 test/golden/gen_hf_exaone.py); the files are committed.
"""
import re

from gen_hf_llama import LLAMA3, build, forward, write_golden

# ExaoneForCausalLM's config (EXAONE-3.5-2.4B's kind, shrunk): Llama 3 rope scaling (EXAONE 3.5's), untied.
EXAONE = {
    "architectures": ["ExaoneForCausalLM"],
    "model_type": "exaone",
    "vocab_size": 260,
    "hidden_size": 32,
    "intermediate_size": 48,
    "num_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 64,
    "layer_norm_epsilon": 1e-6,
    "activation_function": "silu",
    "rope_theta": 10000.0,
    "rope_scaling": LLAMA3["rope_scaling"],
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
}
LLAMA_LIKE = dict(LLAMA3, rms_norm_eps=EXAONE["layer_norm_epsilon"])

NAMES = [
    (r"^model\.embed_tokens\.", "transformer.wte."), (r"^model\.norm\.", "transformer.ln_f."), (r"^model\.layers\.", "transformer.h."),
    (r"\.input_layernorm\.", ".ln_1."), (r"\.post_attention_layernorm\.", ".ln_2."), (r"\.self_attn\.o_proj\.", ".attn.attention.out_proj."),
    (r"\.self_attn\.", ".attn.attention."), (r"\.mlp\.gate_proj\.", ".mlp.c_fc_0."), (r"\.mlp\.up_proj\.", ".mlp.c_fc_1."), (r"\.mlp\.down_proj\.", ".mlp.c_proj."),
]


def exaone_name(n):
    for a, b in NAMES:
        n = re.sub(a, b, n)
    return n


if __name__ == "__main__":
    w = build(LLAMA_LIKE, 2047)
    write_golden("hf_exaone", EXAONE, {exaone_name(k): v for k, v in w.items()}, lambda cfg, we, ids: forward(LLAMA_LIKE, w, ids))
