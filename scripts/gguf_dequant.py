#!/usr/bin/env python3
"""Dequantizes every tensor of a GGUF file with llama.cpp's own reader (gguf-py, gguf.quants.dequantize) and writes
the f32 values, tensor after tensor in file order, little-endian, to OUT (see scripts/kquant-fixture.mjs).

  /tmp/ggvenv/bin/python scripts/gguf_dequant.py FILE.gguf OUT.f32
"""
import sys

import gguf
import numpy as np

path, out = sys.argv[1], sys.argv[2]
r = gguf.GGUFReader(path)
parts = []
for t in r.tensors:
    v = gguf.quants.dequantize(t.data, t.tensor_type).astype('<f4').ravel()
    print(f'{t.name:22s} {t.tensor_type.name:5s} {list(map(int, t.shape))}: {v.size} values')
    parts.append(v)
np.concatenate(parts).tofile(out)
print(f'gguf-py {gguf.__name__} wrote {out}')
