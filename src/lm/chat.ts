// Chat prompts from a model's own template (GGUF `tokenizer.chat_template`, a Jinja template from Hugging Face),
// rendered with @huggingface/jinja: the library transformers.js uses for exactly this, with the same variables
// transformers and llama.cpp pass (messages, bos_token, eos_token, add_generation_prompt) and the same block
// whitespace rules (trim_blocks, lstrip_blocks).
import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | string;
  content: string;
}

export class ChatTemplateError extends Error {
  override name = 'ChatTemplateError';
}

export interface ChatRenderOptions {
  /** The vocabulary's BOS token text (e.g. '<s>'); default ''. */
  bosToken?: string;
  /** The vocabulary's EOS token text (e.g. '</s>'); default ''. */
  eosToken?: string;
  /** End the prompt with the header of an assistant turn, as a model expects before it answers; default true. */
  addGenerationPrompt?: boolean;
  /**
   * More template variables, as transformers' apply_chat_template(**kwargs) and llama.cpp's chat_template_kwargs pass
   * them: e.g. { enable_thinking: false } for Qwen3. The four variables above cannot be set here.
   */
  kwargs?: Readonly<Record<string, unknown>>;
}

const RESERVED = ['messages', 'bos_token', 'eos_token', 'add_generation_prompt'];

// Parsed templates by source text: a model renders the same template on every turn. A few models at most are
// loaded at once, so a small cap is plenty; the oldest entry goes first.
const CACHE_CAP = 8;
const cache = new Map<string, Template>();

function parsed(template: string): Template {
  const hit = cache.get(template);
  if (hit) return hit;
  let t: Template;
  try {
    t = new Template(template);
  } catch (e) {
    // The library reports no position; its message names the token or construct it did not expect.
    const m = reason(e);
    // The parser fails on some malformed input (an unclosed block) with a bare TypeError from inside.
    throw new ChatTemplateError(`chat template does not parse: ${e instanceof TypeError ? `malformed template (${m})` : m}`);
  }
  if (cache.size >= CACHE_CAP) cache.delete(cache.keys().next().value!);
  cache.set(template, t);
  return t;
}

// A template's own raise_exception('...') arrives as an Error carrying just that text.
function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The prompt text for `messages` under `template`. Errors in the template or raised by it: ChatTemplateError. */
export function renderChat(template: string, messages: readonly ChatMessage[], o: ChatRenderOptions = {}): string {
  if (typeof template !== 'string' || template.length === 0) {
    throw new ChatTemplateError('chat template is empty: the model file has no tokenizer.chat_template');
  }
  messages.forEach((m, i) => {
    if (typeof m?.role !== 'string') throw new ChatTemplateError(`chat message ${i} has no string role`);
    if (typeof m.content !== 'string') throw new ChatTemplateError(`chat message ${i} (${m.role}) has no string content`);
  });
  const kw = o.kwargs ?? {};
  if (typeof kw !== 'object' || kw === null || Array.isArray(kw)) throw new ChatTemplateError(`chat template kwargs must be an object of variables, got ${Array.isArray(kw) ? 'an array' : String(kw)}`);
  for (const k of Object.keys(kw)) if (RESERVED.includes(k)) throw new ChatTemplateError(`chat template kwarg '${k}' is set by nibble (reserved: ${RESERVED.join(', ')})`);
  const t = parsed(template);
  let out: unknown;
  try {
    out = t.render({
      ...kw,
      messages: messages.map((m) => ({ ...m })),
      bos_token: o.bosToken ?? '',
      eos_token: o.eosToken ?? '',
      add_generation_prompt: o.addGenerationPrompt ?? true,
    });
  } catch (e) {
    throw new ChatTemplateError(`chat template failed to render: ${reason(e)}`);
  }
  if (typeof out !== 'string') throw new ChatTemplateError(`chat template rendered ${typeof out}, not text`);
  return out;
}
