#!/usr/bin/env python3
"""Writes test/fixtures/gguf_py.gguf with llama.cpp's own Python writer (gguf-py's GGUFWriter, the one its convert
scripts use): typed metadata as a model file carries it, and one [4, 256] weight of seeded normal values as F32, F16,
BF16 and quantized by gguf-py's port of ggml's reference quantizers (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0). Then
scripts/gguf_dequant.py writes its dequantized values (gguf_py.gguf-py.f32). test/unit/gguf_file.test.ts parses the
file with nibble's reader, decodes every tensor, and quantizes the F32 weight with nibble's q4_0 / q4_1 / q8_0 rules,
expecting ggml's bytes; and gguf_py_rules.gguf, 56 rows of varied data in F32 and as gguf-py quantizes them, for the
same comparison on more blocks.

  python3 -m venv /tmp/ggvenv && /tmp/ggvenv/bin/pip install gguf
  /tmp/ggvenv/bin/python scripts/gguf_py_fixture.py
  /tmp/ggvenv/bin/python scripts/gguf_dequant.py test/fixtures/gguf_py.gguf test/fixtures/gguf_py.gguf-py.f32
"""
import numpy as np
import gguf
from gguf.constants import GGMLQuantizationType as T



def add_quantized(wr, w, types):
    """w as gguf-py quantizes it to each type (its port of ggml's reference quantizers), named w.<type>."""
    for t in types:
        q = gguf.quants.quantize(w, t)
        wr.add_tensor(f'w.{t.name.lower()}', q, raw_shape=q.shape, raw_dtype=t)


def finish(wr, path):
    wr.write_header_to_file()
    wr.write_kv_data_to_file()
    wr.write_tensors_to_file()
    wr.close()
    print(f'wrote {path}')


out = 'test/fixtures/gguf_py.gguf'
w = (np.random.default_rng(2026).standard_normal((4, 256)) * 0.05).astype(np.float32)
w[1, :32] = 0.0          # an all-zero block: d = 0
w[2, 40] = 1.5           # an outlier in one block
w[3, 64:96] = 0.01       # a block of equal values
wr = gguf.GGUFWriter(out, 'llama')
wr.add_name('nibble fixture')
wr.add_context_length(2048)
wr.add_embedding_length(256)
wr.add_block_count(1)
wr.add_float32('llama.rope.freq_base', 10000.0)
wr.add_bool('general.fixture', True)
wr.add_array('tokenizer.ggml.tokens', ['<s>', '</s>', 'hello', 'wörld'])
wr.add_array('tokenizer.ggml.scores', [0.0, -1.5, -2.25, -3.0])
wr.add_array('tokenizer.ggml.token_type', [3, 3, 1, 1])
wr.add_tensor('w.f32', w)
wr.add_tensor('w.f16', w.astype(np.float16))
add_quantized(wr, w, (T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0))
finish(wr, out)

# gguf_py_rules.gguf: 56 rows of varied data (normal at scales 1e-6..1e3, exact ties, equal values, zeros and sign
# flips, an exact grid, Cauchy outliers, large positives) as F32 and as gguf-py quantizes them (Q4_0, Q4_1, Q8_0):
# nibble's rules must give the same bytes. (Blocks of f32 subnormals are left out: ggml's reference converts inf to
# an integer there, undefined in C; nibble flushes them to zero codes.)
rng = np.random.default_rng(7)
rows = []
for i in range(56):
    kind = i % 7
    if kind == 0: r = rng.standard_normal(256) * 10 ** rng.uniform(-6, 3)
    elif kind == 1: r = rng.integers(-16, 17, 256) * 0.5 * 10.0 ** rng.integers(-3, 3)
    elif kind == 2: r = np.full(256, rng.standard_normal())
    elif kind == 3: r = rng.standard_normal(256); r[rng.integers(0, 256, 8)] = 0.0; r[:32] = -r[:32]
    elif kind == 4: r = rng.integers(-8, 8, 256) * 0.125
    elif kind == 5: r = rng.standard_cauchy(256)
    else: r = rng.uniform(0, 1, 256) * 65000
    rows.append(r)
v = np.array(rows, dtype=np.float32)
out2 = 'test/fixtures/gguf_py_rules.gguf'
wr = gguf.GGUFWriter(out2, 'llama')
wr.add_tensor('w.f32', v)
add_quantized(wr, v, (T.Q4_0, T.Q4_1, T.Q8_0))
finish(wr, out2)
