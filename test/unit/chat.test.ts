// Chat templates: the real `chat_template` strings of Llama-3 Instruct, Qwen2 Instruct (ChatML with its default
// system message), TinyLlama / Zephyr and Llama-2 Chat (with raise_exception on role order), as their
// tokenizer_config.json files hold them (JSON-decoded: Jinja source), rendered to the exact prompt strings those
// models are trained on, and the errors broken templates get. Qwen3's template (test/fixtures/qwen3_chat_template.jinja:
// its system, user, assistant-with-reasoning and tool-response parts; the tool-call branches left out) with the
// kwarg enable_thinking that llama.cpp's chat_template_kwargs and transformers pass. Gemma 3's
// (test/fixtures/gemma3_chat_template.jinja): no system role (it joins the first user turn), 'model' for the assistant.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ChatTemplateError, renderChat, type ChatMessage } from '../../src/lm/chat.js';

// meta-llama/Meta-Llama-3-8B-Instruct. The '\n\n' in the header is two real newlines in the Jinja source.
const LLAMA3 =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

// Qwen/Qwen2-7B-Instruct: ChatML, with a default system message when the conversation has none.
const QWEN2 =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

// TinyLlama/TinyLlama-1.1B-Chat-v1.0 (HuggingFaceH4/zephyr-7b-beta's format): newlines between the tags, which
// trim_blocks removes after block tags but not after {{ }} expressions.
const ZEPHYR =
  "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

// meta-llama/Llama-2-7b-chat-hf. Here the newlines are Jinja escapes ('\\n' in the JSON file, \n in the source).
const LLAMA2 =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

const CONVO: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful assistant' },
  { role: 'user', content: 'Hello' },
  { role: 'assistant', content: '   I am an assistant   ' },
  { role: 'user', content: 'Who are you? 日本語 😀' },
];
const noSystem = CONVO.slice(1);

describe('renderChat on real templates', () => {
  it('Llama-3 Instruct: BOS once, headers, contents trimmed, assistant header to generate', () => {
    const bos = { bosToken: '<|begin_of_text|>', eosToken: '<|eot_id|>' };
    expect(renderChat(LLAMA3, CONVO, bos)).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nWho are you? 日本語 😀<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    expect(renderChat(LLAMA3, [{ role: 'user', content: 'Hi' }], { ...bos, addGenerationPrompt: false })).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>',
    );
  });
  it('Qwen2 Instruct: ChatML, the default system message only when none is given, contents untrimmed', () => {
    expect(renderChat(QWEN2, CONVO)).toBe(
      '<|im_start|>system\nYou are a helpful assistant<|im_end|>\n' +
        '<|im_start|>user\nHello<|im_end|>\n' +
        '<|im_start|>assistant\n   I am an assistant   <|im_end|>\n' +
        '<|im_start|>user\nWho are you? 日本語 😀<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
    expect(renderChat(QWEN2, [{ role: 'user', content: 'Hi' }])).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(renderChat(QWEN2, [{ role: 'user', content: 'Hi' }], { addGenerationPrompt: false })).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n',
    );
  });
  it('TinyLlama / Zephyr: EOS after every turn, block newlines trimmed, a newline after each turn', () => {
    expect(renderChat(ZEPHYR, CONVO, { bosToken: '<s>', eosToken: '</s>' })).toBe(
      '<|system|>\nYou are a helpful assistant</s>\n' +
        '<|user|>\nHello</s>\n' +
        '<|assistant|>\n   I am an assistant   </s>\n' +
        '<|user|>\nWho are you? 日本語 😀</s>\n' +
        '<|assistant|>\n',
    );
    expect(renderChat(ZEPHYR, [{ role: 'user', content: 'Hi' }], { eosToken: '</s>', addGenerationPrompt: false })).toBe(
      '<|user|>\nHi</s>\n',
    );
  });
  it('Llama-2 Chat: the system message folded into the first [INST], BOS per user turn', () => {
    const o = { bosToken: '<s>', eosToken: '</s>' };
    expect(renderChat(LLAMA2, CONVO, o)).toBe(
      '<s>[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] I am an assistant </s>' +
        '<s>[INST] Who are you? 日本語 😀 [/INST]',
    );
    expect(renderChat(LLAMA2, noSystem, o)).toBe(
      '<s>[INST] Hello [/INST] I am an assistant </s><s>[INST] Who are you? 日本語 😀 [/INST]',
    );
  });
  it('a template parsed once renders other conversations and options alike (the cache keys on the text)', () => {
    for (let i = 0; i < 12; i++) renderChat(`{{ bos_token }}${i}{{ messages | length }}`, noSystem, { bosToken: 'B' });
    expect(renderChat('{{ bos_token }}7{{ messages | length }}', CONVO, { bosToken: 'X' })).toBe('X74');
    expect(renderChat(QWEN2, [{ role: 'user', content: 'a' }])).toContain('<|im_start|>user\na<|im_end|>');
    expect(renderChat(QWEN2, [{ role: 'user', content: 'b' }])).toContain('<|im_start|>user\nb<|im_end|>');
  });
});

describe('Qwen3 and template kwargs', () => {
  const QWEN3 = readFileSync(new URL('../fixtures/qwen3_chat_template.jinja', import.meta.url), 'utf8');
  const turns: ChatMessage[] = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: '<think>\nThe user greets.\n</think>\n\nHello!' },
    { role: 'user', content: 'Who are you?' },
  ];
  const head = '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nWho are you?<|im_end|>\n<|im_start|>assistant\n';
  it('an earlier turn loses its reasoning; enable_thinking false closes an empty think block, as Qwen3 expects', () => {
    expect(renderChat(QWEN3, turns)).toBe(head);
    expect(renderChat(QWEN3, turns, { kwargs: { enable_thinking: true } })).toBe(head);
    expect(renderChat(QWEN3, turns, { kwargs: { enable_thinking: false } })).toBe(`${head}<think>\n\n</think>\n\n`);
  });
  it('assistant turns after the last user query keep their reasoning (a tool-calling step); tool responses join one user turn', () => {
    const t: ChatMessage[] = [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: '<think>\nCall the tool.\n</think>\n\nChecking.' },
      { role: 'tool', content: '{"temp": 21}' },
      { role: 'tool', content: '{"sky": "clear"}' },
    ];
    expect(renderChat(QWEN3, t, { addGenerationPrompt: false })).toBe(
      '<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n<think>\nCall the tool.\n</think>\n\nChecking.<|im_end|>\n' +
        '<|im_start|>user\n<tool_response>\n{"temp": 21}\n</tool_response>\n<tool_response>\n{"sky": "clear"}\n</tool_response><|im_end|>\n',
    );
    expect(renderChat(QWEN3, [...t.slice(0, 1), { role: 'assistant', content: '<think>\nplan\n</think>\n\nDone.' }], { addGenerationPrompt: false })).toBe(
      '<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n<think>\nplan\n</think>\n\nDone.<|im_end|>\n',
    );
  });
  it('kwargs may not set the variables nibble passes, and must be an object', () => {
    expect(() => renderChat(QWEN3, turns, { kwargs: { messages: [] } })).toThrow("chat template kwarg 'messages' is set by nibble (reserved: messages, bos_token, eos_token, add_generation_prompt)");
    expect(() => renderChat(QWEN3, turns, { kwargs: [] as unknown as Record<string, unknown> })).toThrow('chat template kwargs must be an object of variables, got an array');
  });
});

describe("Gemma 3's template (test/fixtures/gemma3_chat_template.jinja)", () => {
  const GEMMA3 = readFileSync(new URL('../fixtures/gemma3_chat_template.jinja', import.meta.url), 'utf8');
  it("the system message joins the first user turn, the assistant is 'model', contents trimmed; roles must alternate", () => {
    expect(renderChat(GEMMA3, CONVO, { bosToken: '<bos>' })).toBe(
      '<bos><start_of_turn>user\nYou are a helpful assistant\n\nHello<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n' +
        '<start_of_turn>user\nWho are you? 日本語 😀<end_of_turn>\n<start_of_turn>model\n',
    );
    expect(renderChat(GEMMA3, noSystem, { bosToken: '<bos>', addGenerationPrompt: false })).toBe(
      '<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nWho are you? 日本語 😀<end_of_turn>\n',
    );
    expect(() => renderChat(GEMMA3, [CONVO[1]!, CONVO[1]!])).toThrow('chat template failed to render: Conversation roles must alternate user/assistant/user/assistant/...');
  });
});

describe('renderChat errors', () => {
  it("a template's raise_exception is a ChatTemplateError with the template's words", () => {
    const bad = [CONVO[1]!, CONVO[1]!]; // user, user
    expect(() => renderChat(LLAMA2, bad, {})).toThrow(ChatTemplateError);
    expect(() => renderChat(LLAMA2, bad, {})).toThrow(
      'chat template failed to render: Conversation roles must alternate user/assistant/user/assistant/...',
    );
  });
  it('a template that does not parse, or fails while rendering, says so and why', () => {
    expect(() => renderChat('{% for m in messages %}{{ m.content }', CONVO)).toThrow(
      /^chat template does not parse: .*Expected closing expression token/,
    );
    expect(() => renderChat('{% if add_generation_prompt %}open', CONVO)).toThrow(/^chat template does not parse: malformed/);
    expect(() => renderChat('{% for %}', CONVO)).toThrow(ChatTemplateError);
    expect(() => renderChat('{{ messages | nosuchfilter }}', CONVO)).toThrow(/^chat template failed to render: .*nosuchfilter/);
  });
  it('an empty template and malformed messages are refused by name', () => {
    expect(() => renderChat('', CONVO)).toThrow('chat template is empty');
    const m = [{ role: 'user', content: 'ok' }, { role: 'user' }] as unknown as ChatMessage[];
    expect(() => renderChat(QWEN2, m)).toThrow('chat message 1 (user) has no string content');
    expect(() => renderChat(QWEN2, [{ content: 'x' } as unknown as ChatMessage])).toThrow('chat message 0 has no string role');
  });
});
