#!/usr/bin/env python3
"""Writes the Hugging Face tokenizer.json of test/golden/spm_tokenizer/tokenizer.model, in the form a Llama 2 or
Mistral checkpoint ships it (a BPE model with byte_fallback whose merges come from the SentencePiece pieces, the
normalizer that prepends and replaces the space with U+2581, the ByteFallback decoder), and the ids Hugging Face's
`tokenizers` gives for a corpus (and its decoding of them), in that form and in the newer one (no normalizer, a Metaspace pre-tokenizer that
prepends on the first section only): test/golden/spm_tokenizer/{tokenizer.json,golden_json.json}.
nibble imports such a tokenizer.json when a checkpoint has no tokenizer.model (src/tokenizer/hf_spm.ts);
test/unit/spm_json_import.test.ts checks its ids against these, test/unit/tokenizer.test.ts against llama.cpp.
Run once after gen_spm_tokenizer.py (needs the `sentencepiece` and `tokenizers` Python packages; no GPU, no network):
    python3 test/golden/gen_spm_tokenizer_json.py
"""
import json
import os

import sentencepiece as spm
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'spm_tokenizer')
TEXT = os.path.join(HERE, '..', '..', 'demo', 'public', 'data', 'tinyshakespeare.txt')
SPACE = '\u2581'

sp = spm.SentencePieceProcessor(model_file=os.path.join(OUT, 'tokenizer.model'))
n = sp.get_piece_size()
vocab = {sp.id_to_piece(i): i for i in range(n)}
normal = [i for i in range(n) if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i) or sp.is_unused(i))
          and sp.id_to_piece(i) != '<sep>']

# Merges the way SentencePiece's BPE applies them: every split of a piece into two pieces is a merge, ranked by the
# piece's score (pieces are stored best first), the splits of one piece by their halves' ids.
merges = []
for i in sorted(normal, key=lambda i: -sp.get_score(i)):
    piece = sp.id_to_piece(i)
    splits = [(piece[:k], piece[k:]) for k in range(1, len(piece)) if piece[:k] in vocab and piece[k:] in vocab]
    merges += sorted(splits, key=lambda p: (vocab[p[0]], vocab[p[1]]))


def build(legacy):
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token='<unk>', fuse_unk=True, byte_fallback=True))
    if legacy:
        tok.normalizer = normalizers.Sequence([normalizers.Prepend(SPACE), normalizers.Replace(' ', SPACE)])
        tok.decoder = decoders.Sequence([decoders.Replace(SPACE, ' '), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(' ', 1, 0)])
    else:
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=SPACE, prepend_scheme='first', split=False)
        tok.decoder = decoders.Sequence([decoders.Replace(SPACE, ' '), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(' ', 1, 0)])
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in ['<unk>', '<s>', '</s>']])
    tok.add_tokens([AddedToken('<sep>', normalized=False, special=False)])
    tok.post_processor = processors.TemplateProcessing(single='<s> $A', pair='<s> $A <s> $B', special_tokens=[('<s>', 1)])
    return tok


with open(TEXT, encoding='utf-8') as f:
    held_out = f.read().splitlines()[4000:4200]  # past the 4000 lines the tokenizer.model was trained on
STRINGS = [
    'ROMEO:\nBut soft, what light through yonder window breaks?',
    'Hello world', ' leading space and  two  spaces', 'a    b     c', '        eight spaces', 'trailing   ',
    'Café naïve ünïcode 日本語 🙂 emoji', 'numbers 2024 and 3.14159', 'a <sep> b', 'x<sep>y', '<sep>',
    '\ttab\nnewline\n\nend', '\u2581already a metaspace', 'aaaaaaaa bbbbbbbb eeeeeee tttttt', '',
] + [line for line in held_out if line]

legacy, metaspace = build(True), build(False)
legacy.save(os.path.join(OUT, 'tokenizer.json'), pretty=False)
golden = {
    'merges': len(merges),
    'legacy': [legacy.encode(s, add_special_tokens=False).ids for s in STRINGS],
    'metaspace': [metaspace.encode(s, add_special_tokens=False).ids for s in STRINGS],
    'with_bos': legacy.encode('Hello world').ids,
}
with open(os.path.join(OUT, 'golden_json.json'), 'w', encoding='utf-8') as f:
    f.write('{"merges": %d, "with_bos": %s, "encodings": [\n' % (golden['merges'], json.dumps(golden['with_bos'])))
    rows = [json.dumps({'text': s, 'legacy': a, 'metaspace': b, 'decoded': legacy.decode(a, skip_special_tokens=False)}, ensure_ascii=False)
            for s, a, b in zip(STRINGS, golden['legacy'], golden['metaspace'])]
    f.write(',\n'.join('  ' + r for r in rows) + '\n]}\n')
differ = sum(a != sp.encode(s) for s, a in zip(STRINGS, golden['legacy']))
print(f'wrote {OUT}: {len(merges)} merges, {len(STRINGS)} encodings ({differ} differ from SentencePiece in the legacy form)')
