#!/usr/bin/env python3
"""Reads a GGUF file that `nibble train --format q4_0|q8_0` wrote with llama.cpp's own reader (gguf-py) and checks
that its dequantized weights and biases equal the converted nibble model's, bit for bit.

  python3 -m venv /tmp/ggvenv && /tmp/ggvenv/bin/pip install gguf        (offline: --no-index --find-links DIR)
  node scripts/dump-model.mjs out/digits-q4_0.safetensors /tmp/ours      (writes /tmp/ours/w{i}.bin, b{i}.bin)
  /tmp/ggvenv/bin/python scripts/check_gguf.py out/digits-q4_0.gguf /tmp/ours
"""
import sys

import gguf
import numpy as np

path, ours = sys.argv[1], sys.argv[2]
r = gguf.GGUFReader(path)
sizes = list(r.fields['nibble-mlp.sizes'].contents())
ok = True
for i in range(len(sizes) - 1):
    for kind, name in (('w', f'blk.{i}.weight'), ('b', f'blk.{i}.bias')):
        t = next(t for t in r.tensors if t.name == name)
        theirs = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32).ravel()
        mine = np.fromfile(f'{ours}/{kind}{i}.bin', dtype=np.float32)
        same = theirs.shape == mine.shape and np.array_equal(theirs.view(np.uint32), mine.view(np.uint32))
        ok &= same
        print(f'{name:14s} {t.tensor_type.name:5s} {list(map(int, t.shape))}: {"bit-identical" if same else "DIFFERENT"}')
print('gguf-py', 'agrees' if ok else 'DISAGREES')
sys.exit(0 if ok else 1)
