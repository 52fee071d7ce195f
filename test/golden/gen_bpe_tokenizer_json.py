#!/usr/bin/env python3
"""Trains a tiny byte-level BPE tokenizer.json with Hugging Face's `tokenizers` in Llama 3's form (its Split regex,
ByteLevel without its own regex, ignore_merges, <|begin_of_text|> added by the post-processor) and writes the ids
`tokenizers` gives for a corpus in that form and in two others built from the same vocabulary and merges: Qwen2's
(its regex: single digits; merges not ignored) and GPT-2's (a ByteLevel pre-tokenizer with its own regex):
test/golden/bpe_tokenizer/{tokenizer.json,golden.json}. nibble imports such files (src/tokenizer/hf.ts);
test/unit/bpe_json_import.test.ts checks its ids and decodings against these, test/unit/tokenizer.test.ts against
llama.cpp. Run once (needs the `tokenizers` Python package; no GPU, no network):
    python3 test/golden/gen_bpe_tokenizer_json.py
"""
import json
import os

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'bpe_tokenizer')
TEXT = os.path.join(HERE, '..', '..', 'demo', 'public', 'data', 'tinyshakespeare.txt')
LLAMA3_RE = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_RE = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
SPECIALS = ['<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>']

with open(TEXT, encoding='utf-8') as f:
    lines = f.read().splitlines()
train = lines[:4000] + ['Café, naïve façade: ünïcode über alles', 'Numbers 1234 and 56.78, 2024-12-05', '日本語のテキスト 🙂']


def split(regex):
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(regex), behavior='isolated', invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])


tok = Tokenizer(models.BPE(ignore_merges=True))
tok.pre_tokenizer = split(LLAMA3_RE)
tok.decoder = decoders.ByteLevel()
tok.train_from_iterator(train, trainers.BpeTrainer(
    vocab_size=1000, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
tok.post_processor = processors.TemplateProcessing(single='<|begin_of_text|> $A', special_tokens=[('<|begin_of_text|>', 0)])
os.makedirs(OUT, exist_ok=True)
tok.save(os.path.join(OUT, 'tokenizer.json'), pretty=False)

# The other forms: the same vocabulary and merges under another pre-tokenizer (and Qwen2's merges not ignored).
spec = json.loads(tok.to_str())
qwen2 = dict(spec, model=dict(spec['model'], ignore_merges=False), pre_tokenizer=json.loads(split(QWEN2_RE).__getstate__()))
gpt2 = dict(spec, model=dict(spec['model'], ignore_merges=False),
            pre_tokenizer={'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True})
forms = {'llama3': tok, 'qwen2': Tokenizer.from_str(json.dumps(qwen2)), 'gpt2': Tokenizer.from_str(json.dumps(gpt2))}

STRINGS = [
    'ROMEO:\nBut soft, what light through yonder window breaks?',
    "I'll say it's THEIR'S, you'RE sure we'd've",
    'Hello world', ' leading space and  two  spaces', 'a    b     c\n\n\n  \t x', 'trailing   ',
    'Café naïve ünïcode 日本語 🙂 emoji 👨‍👩‍👧', 'numbers 2024 and 3.14159 and 1234567', '<|begin_of_text|>Hi<|eot_id|> there',
    '$100+50=150 <tag> ~tilde~ |pipe| ^caret^', '\u00a0non-breaking\u2003em space', '',
] + [line for line in lines[4000:4150] if line]
golden = {'with_bos': tok.encode('Hello world').ids, 'encodings': []}
for s in STRINGS:
    row = {'text': s}
    for name, t in forms.items():
        row[name] = t.encode(s, add_special_tokens=False).ids
    row['decoded'] = tok.decode(row['llama3'], skip_special_tokens=False)
    golden['encodings'].append(row)
with open(os.path.join(OUT, 'golden.json'), 'w', encoding='utf-8') as f:
    f.write('{"with_bos": %s, "encodings": [\n' % json.dumps(golden['with_bos']))
    f.write(',\n'.join('  ' + json.dumps(r, ensure_ascii=False) for r in golden['encodings']) + '\n]}\n')
print(f"wrote {OUT}: {tok.get_vocab_size()} tokens, {len(spec['model']['merges'])} merges, {len(STRINGS)} strings")
