#!/usr/bin/env python3
"""Writes a tiny SentencePiece tokenizer.model the way Llama 2's was trained (BPE, byte fallback, identity
normalizer, digits split, whitespace kept, a dummy prefix) and SentencePiece's own ids for a few strings:
test/golden/spm_tokenizer/. nibble imports such a tokenizer.model for a Hugging Face checkpoint
(src/tokenizer/sentencepiece.ts); test/unit/spm_import.test.ts checks the import against these ids,
test/unit/tokenizer.test.ts against llama.cpp. Run once (needs the `sentencepiece` Python package; no GPU, no network):
    python3 test/golden/gen_spm_tokenizer.py
"""
import io
import json
import os

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'spm_tokenizer')
TEXT = os.path.join(HERE, '..', '..', 'demo', 'public', 'data', 'tinyshakespeare.txt')

with open(TEXT, encoding='utf-8') as f:
    lines = f.read().splitlines()[:4000]
lines += ['Café, naïve façade: ünïcode über alles', 'Numbers 1234 and 56.78 split to digits', '日本語のテキスト']

model = io.BytesIO()
spm.SentencePieceTrainer.train(
    sentence_iterator=iter(lines), model_writer=model, model_type='bpe', vocab_size=1000,
    byte_fallback=True, normalization_rule_name='identity', remove_extra_whitespaces=False,
    add_dummy_prefix=True, split_digits=True, character_coverage=0.9995, user_defined_symbols=['<sep>'],
    unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2)
os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, 'tokenizer.model'), 'wb') as f:
    f.write(model.getvalue())

sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
STRINGS = [
    'ROMEO:\nBut soft, what light through yonder window breaks?',
    'Hello world',
    ' leading space and  two  spaces',
    'Café naïve ünïcode 日本語 🙂 emoji',
    'numbers 2024 and 3.14159',
    'a <sep> b',
    '\ttab\nnewline\n\nend',
    '',
]
golden = {
    'vocab_size': sp.get_piece_size(),
    'bos_id': sp.bos_id(), 'eos_id': sp.eos_id(), 'unk_id': sp.unk_id(),
    'pieces': [[sp.id_to_piece(i), sp.get_score(i)] for i in range(0, 12)],
    'encodings': [{'text': s, 'ids': sp.encode(s)} for s in STRINGS],
}
with open(os.path.join(OUT, 'golden.json'), 'w', encoding='utf-8') as f:
    head = json.dumps({k: v for k, v in golden.items() if k != 'encodings'}, ensure_ascii=False)
    body = ',\n'.join('  ' + json.dumps(e, ensure_ascii=False) for e in golden['encodings'])
    f.write(head[:-1] + ', "encodings": [\n' + body + '\n]}\n')
print(f"wrote {OUT}: {golden['vocab_size']} pieces, {len(STRINGS)} encodings")
