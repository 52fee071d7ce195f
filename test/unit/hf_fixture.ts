// Fixtures for the Hugging Face import tests: a byte-level BPE tokenizer.json (Llama 3's pre-tokenizer regex, the
// 256 byte symbols, a few merges, two special tokens) and a whole checkpoint directory of a tiny random Llama, with
// that tokenizer.json or with a SentencePiece tokenizer.model (test/golden/spm_tokenizer, Llama 2's kind).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, makeTensor } from '../../src/io/safetensors.js';
import { hfTensorName } from '../../src/nn/hf_llama.js';
import { llamaTensorNames } from '../../src/nn/llama_config.js';
import { initLlamaWeights, llamaConfig } from '../../src/nn/llama_weights.js';
import { BYTE_TO_CHAR } from '../../src/tokenizer/unicode.js';

const LLAMA3_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const MERGES = ['Ġ t', 'h e', 'Ġt he', 'Ġ w', 'Ġw h', 'e r', 'Ġwh er', 'Ġwher e'];

/** A byte-level BPE tokenizer.json: the 256 byte symbols, the merges' products, two special tokens. */
export function tinyTokenizerJson(pre: unknown = { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: LLAMA3_RE }, behavior: 'Isolated', invert: false }, { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] }) {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((c, i) => (vocab[c] = i));
  for (const m of MERGES) vocab[m.replace(' ', '')] ??= Object.keys(vocab).length;
  const n = Object.keys(vocab).length;
  return {
    version: '1.0',
    added_tokens: [
      { id: n, content: '<|begin_of_text|>', special: true },
      { id: n + 1, content: '<|end_of_text|>', special: true },
    ],
    pre_tokenizer: pre,
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }] },
    decoder: { type: 'ByteLevel' },
    model: { type: 'BPE', dropout: null, unk_token: null, byte_fallback: false, ignore_merges: true, vocab, merges: MERGES },
  };
}
export const TINY_TOKENIZER_CONFIG = { bos_token: '<|begin_of_text|>', eos_token: '<|end_of_text|>', chat_template: "{% for m in messages %}{{ m['content'] }}{% endfor %}" };

/** The SentencePiece model of test/golden/spm_tokenizer (1000 pieces: BPE, byte fallback, Llama 2's settings). */
export const SPM_MODEL = join(__dirname, '..', 'golden', 'spm_tokenizer', 'tokenizer.model');
/** The Hugging Face tokenizer.json of SPM_MODEL (test/golden/gen_spm_tokenizer_json.py), for checkpoints without a tokenizer.model. */
export const SPM_TOKENIZER_JSON = join(__dirname, '..', 'golden', 'spm_tokenizer', 'tokenizer.json');
/** A byte-level BPE tokenizer.json trained by Hugging Face tokenizers in Llama 3's form (test/golden/gen_bpe_tokenizer_json.py). */
export const BPE_TOKENIZER_JSON = join(__dirname, '..', 'golden', 'bpe_tokenizer', 'tokenizer.json');
/** BPE_TOKENIZER_JSON in one of the forms the golden script encodes with: Llama 3's as written, Qwen2's regex, GPT-2's ByteLevel. */
export function bpeTokenizerJsonForm(form: 'llama3' | 'qwen2' | 'gpt2'): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const t = JSON.parse(readFileSync(BPE_TOKENIZER_JSON, 'utf8'));
  if (form === 'llama3') return t;
  const model = { ...t.model, ignore_merges: false };
  if (form === 'gpt2') return { ...t, model, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true } };
  const [split, byteLevel] = t.pre_tokenizer.pretokenizers;
  const qwen2 = String(split.pattern.Regex).replace('\\p{N}{1,3}', '\\p{N}');
  return { ...t, model, pre_tokenizer: { ...t.pre_tokenizer, pretokenizers: [{ ...split, pattern: { Regex: qwen2 } }, byteLevel] } };
}
/** Llama 2's tokenizer_config.json, in small: its three special tokens, bos added. */
export const SPM_TOKENIZER_CONFIG = {
  add_bos_token: true, add_eos_token: false, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>',
  added_tokens_decoder: Object.fromEntries(['<unk>', '<s>', '</s>'].map((content, id) => [id, { content, special: true }])),
};

/**
 * A Hugging Face Llama directory of a tiny random model: config.json, model.safetensors, tokenizer_config.json, and
 * tokenizer.json (`bpe`, 266 tokens) or tokenizer.model (`spm`, 1000); `qwen2`: a Qwen2ForCausalLM (q / k / v
 * biases, tied embedding) instead of a LlamaForCausalLM; `qwen3`: a Qwen3ForCausalLM (no biases, q_norm / k_norm,
 * head_dim 16 != hidden_size / num_attention_heads, tied embedding).
 */
export function writeHfLlamaDir(dir: string, seed: number, tokenizer: 'bpe' | 'spm' = 'bpe', arch: 'llama' | 'qwen2' | 'qwen3' = 'llama'): string {
  mkdirSync(dir, { recursive: true });
  const vocab = tokenizer === 'spm' ? 1000 : 266;
  const qwen = arch !== 'llama';
  const headDim = arch === 'qwen3' ? 16 : undefined;
  const c = llamaConfig({ arch, dim: 32, layers: 1, heads: 4, kvHeads: 2, headDim, ffn: 64, ctx: 64, vocab, tied: qwen });
  const w = initLlamaWeights(c, seed);
  const tensors = Object.fromEntries(llamaTensorNames(c).map(({ name, shape }) => [hfTensorName(name), makeTensor('F32', shape, w[name], hfTensorName(name))]));
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors, { format: 'pt' }));
  const type = {
    llama: { architectures: ['LlamaForCausalLM'], model_type: 'llama' },
    qwen2: { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', use_sliding_window: false },
    qwen3: { architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', head_dim: headDim, attention_bias: false, use_sliding_window: false },
  }[arch];
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...type, vocab_size: vocab, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: qwen, _name_or_path: `tiny-hf-${arch}` }));
  if (tokenizer === 'spm') {
    copyFileSync(SPM_MODEL, join(dir, 'tokenizer.model'));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(SPM_TOKENIZER_CONFIG));
  } else {
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(TINY_TOKENIZER_CONFIG));
  }
  return dir;
}
