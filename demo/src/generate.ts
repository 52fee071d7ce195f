// Generate tab: a Llama-family GGUF model (the bundled one, a picked file, or a URL read by ranges and kept in the
// browser's storage) writing text, in a worker (generate.worker.ts) so the page never waits on it. This file is the
// page side only: the controls, the streamed text, the model's config and the figures of the last generation.
import { formatBytes } from '../../src/io/gguf.js';
import type { ChatMessage } from '../../src/lm/chat.js';
import type { GenerationStats } from '../../src/lm/model.js';
import { $, hideError, showError } from './app.js';
import type { FromWorker, GenOptions, ModelChoice, ModelInfo, ToWorker } from './generate-protocol.js';

let worker: Worker;
let model: ModelInfo | null = null;
let loading = false;
/** The generation in flight: its id and where its pieces go. */
let current: { id: number; out: HTMLElement; text: string; chat: boolean; asked?: HTMLElement } | null = null;
let nextId = 1;
const messages: ChatMessage[] = [];

const send = (m: ToWorker) => worker.postMessage(m);
const btn = (id: string) => $<HTMLButtonElement>(id);

function fill(table: HTMLTableElement, rows: [string, string][], attrs: Record<string, string> = {}): void {
  table.innerHTML = '';
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v;
  }
  Object.assign(table.dataset, attrs);
}

/** Buttons follow the state: nothing starts while a model loads, one generation at a time. */
function sync(): void {
  const busy = current !== null;
  btn('gen-go').disabled = !model || loading || busy;
  btn('gen-stop').disabled = !busy;
  for (const id of ['gen-bundled', 'gen-open-url']) btn(id).disabled = loading;
  $<HTMLInputElement>('gen-file').disabled = loading;
  btn('gen-chat-reset').disabled = busy;
  btn('gen-go').textContent = chatMode() ? 'send' : 'generate';
}

const chatMode = () => $<HTMLInputElement>('gen-mode-chat').checked;

function setMode(chat: boolean): void {
  $<HTMLInputElement>(chat ? 'gen-mode-chat' : 'gen-mode-text').checked = true;
  $('gen-text-mode').hidden = chat;
  $('gen-chat-mode').hidden = !chat;
  $('gen-output').hidden = chat; // a chat's answers go into its message list
  sync();
}

function load(choice: ModelChoice): void {
  hideError($('gen-error'));
  loading = true;
  $('gen-loading').hidden = false;
  $<HTMLProgressElement>('gen-progress').value = 0;
  $('gen-progress-text').textContent = 'opening…';
  sync();
  send({ type: 'load', choice });
}

function showModel(m: ModelInfo): void {
  const c = m.config;
  const from = { bundled: 'bundled with the demo', file: 'a file from this computer', network: 'read from the network by HTTP ranges, now kept in this browser', storage: "read from this browser's storage (not fetched again)" }[m.from];
  $('gen-model').textContent = `${m.name} (${formatBytes(m.fileBytes)}), ${from}: loaded in ${(m.loadMs / 1000).toFixed(2)} s, ${formatBytes(m.gpuBytes)} on the GPU`;
  fill($<HTMLTableElement>('gen-config'), [
    ['architecture', `${c.arch} (rope ${c.ropeLayout}${c.ropeFreqs ? ', scaled' : ''}, base ${c.ropeBase})`],
    ['embedding', String(c.dim)],
    ['layers', String(c.layers)],
    ['heads', c.kvHeads === c.heads ? `${c.heads} (head dim ${c.headDim})` : `${c.heads} query, ${c.kvHeads} key/value (head dim ${c.headDim})`],
    ['feed-forward', String(c.ffn)],
    ['vocabulary', c.vocab.toLocaleString('en-US')],
    ['context', m.ctxLen === c.ctx ? String(c.ctx) : `${c.ctx} (KV cache: ${m.ctxLen})`],
    ['output', c.tied ? 'tied to the token embedding' : 'output.weight'],
    ['weight types', m.types.map((t) => `${t.type} ×${t.count} (${formatBytes(t.bytes)})`).join(', ')],
    ['chat template', m.chatTemplate ? 'yes' : 'none'],
  ], { arch: c.arch });
  const chat = m.chatTemplate !== null;
  $<HTMLInputElement>('gen-mode-chat').disabled = !chat;
  $('gen-chat-note').textContent = chat ? '(the prompt is rendered with the file’s chat template)' : '(chat needs a model with a chat template; this one has none)';
  // What the previous model wrote goes with it.
  messages.length = 0;
  $('gen-messages').innerHTML = '';
  $('gen-shown-prompt').textContent = '';
  $('gen-text').textContent = '';
  $('gen-figures').innerHTML = '';
  delete $('gen-figures').dataset.stop;
  setMode(chat && chatMode());
}

function showFigures(s: GenerationStats): void {
  const f = (x: number, d = 1) => x.toFixed(d);
  fill($<HTMLTableElement>('gen-figures'), [
    ['prompt', `${s.promptTokens} tokens at ${f(s.promptTokensPerSecond)} tok/s`],
    ['decode', `${s.generatedTokens} tokens at ${f(s.decodeTokensPerSecond)} tok/s`],
    ['time to first token', `${f(s.timeToFirstTokenMs, 0)} ms`],
    ['GPU memory held', formatBytes(s.gpuBytes)],
    ['dispatches per token', `${s.dispatchesPerToken} (one submit)`],
    ['stopped by', { eog: 'an end-of-generation token', stop: 'a stop string', length: 'max tokens', context: 'the full context', abort: 'the stop button' }[s.stopReason]],
  ], { stop: s.stopReason, ids: s.ids.join(',') });
}

function num(id: string): number | undefined {
  const v = $<HTMLInputElement>(id).value.trim();
  return v === '' ? undefined : Number(v);
}

function options(): GenOptions {
  return {
    maxTokens: num('gen-max'),
    temperature: num('gen-temperature'),
    topK: num('gen-top-k'),
    topP: num('gen-top-p'),
    minP: num('gen-min-p'),
    repeatPenalty: num('gen-repeat'),
    seed: num('gen-seed'),
  };
}

function start(): void {
  if (!model || current || loading) return;
  hideError($('gen-error'));
  $('gen-figures').innerHTML = '';
  delete $('gen-figures').dataset.stop;
  const id = nextId++;
  if (chatMode()) {
    const content = $<HTMLTextAreaElement>('gen-message').value;
    if (!content.trim()) return showError($('gen-error'), 'write a message first');
    messages.push({ role: 'user', content });
    $<HTMLTextAreaElement>('gen-message').value = '';
    const li = (role: string, text: string) => {
      const el = document.createElement('li');
      el.className = role;
      el.textContent = text;
      $('gen-messages').append(el);
      return el;
    };
    const asked = li('user', content);
    current = { id, out: li('assistant', ''), text: '', chat: true, asked };
    send({ type: 'chat', id, messages: [...messages], options: options() });
  } else {
    const prompt = $<HTMLTextAreaElement>('gen-prompt').value;
    $('gen-shown-prompt').textContent = prompt;
    $('gen-text').textContent = '';
    current = { id, out: $('gen-text'), text: '', chat: false };
    send({ type: 'generate', id, prompt, options: options() });
  }
  sync();
}

function finish(): void {
  if (current?.chat) {
    if (current.text) messages.push({ role: 'assistant', content: current.text });
    else {
      // No answer (an error, or stopped at once): the question goes back to the box.
      current.out.remove();
      current.asked?.remove();
      $<HTMLTextAreaElement>('gen-message').value = messages.pop()?.content ?? '';
    }
  }
  current = null;
  sync();
}

function onMessage(m: FromWorker): void {
  switch (m.type) {
    case 'ready':
      $('gen-loading').title = `worker on ${m.adapter}`;
      return;
    case 'fatal':
      loading = false;
      $('gen-loading').hidden = true;
      showError($('gen-error'), m.message);
      sync();
      return;
    case 'progress': {
      const p = $<HTMLProgressElement>('gen-progress');
      p.max = Math.max(1, m.total);
      p.value = m.loaded;
      const what = { download: 'downloading', upload: 'uploading to the GPU', store: 'storing' }[m.phase] ?? m.phase;
      $('gen-progress-text').textContent = m.phase === 'upload' ? `${what}: tensor ${m.loaded} of ${m.total} (${m.label})` : `${what} ${m.label}`;
      return;
    }
    case 'loaded':
      loading = false;
      model = m.info;
      $('gen-loading').hidden = true;
      showModel(m.info);
      sync();
      return;
    case 'load-error':
      loading = false;
      $('gen-loading').hidden = true;
      showError($('gen-error'), m.message);
      sync();
      return;
    case 'piece':
      if (current?.id !== m.id) return;
      current.text += m.text;
      current.out.append(m.text);
      return;
    case 'done':
      if (current?.id !== m.id) return;
      showFigures(m.stats);
      finish();
      return;
    case 'gen-error':
      if (current?.id !== m.id) return;
      showError($('gen-error'), m.message);
      finish();
      return;
    case 'stored': {
      const total = m.models.reduce((s, x) => s + x.bytes, 0);
      $('gen-stored').textContent = m.note
        ? m.note
        : m.models.length === 0
          ? 'stored models: none'
          : `stored models: ${m.models.map((x) => `${x.url} (${formatBytes(x.bytes)})`).join(', ')}; ${formatBytes(total)} in all`;
      $('gen-stored').dataset.count = String(m.models.length);
      btn('gen-clear-stored').disabled = m.models.length === 0;
      return;
    }
  }
}

export function setupGenerate(): void {
  worker = new Worker(new URL('./generate.worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (ev: MessageEvent<FromWorker>) => onMessage(ev.data);
  worker.onerror = (ev) => {
    loading = false;
    current = null;
    $('gen-loading').hidden = true;
    showError($('gen-error'), `the generation worker failed: ${ev.message || 'it could not start'}`);
    sync();
  };
  const bundled = () => load({ kind: 'bundled', url: new URL('models/shakespeare-q4_0.gguf', document.baseURI).href });
  btn('gen-bundled').addEventListener('click', bundled);
  $<HTMLInputElement>('gen-file').addEventListener('change', (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) load({ kind: 'file', file: f });
    (ev.target as HTMLInputElement).value = ''; // the same file again fires 'change' again
  });
  btn('gen-open-url').addEventListener('click', () => {
    const raw = $<HTMLInputElement>('gen-url').value.trim();
    if (!raw) return showError($('gen-error'), 'give a URL first');
    load({ kind: 'url', url: new URL(raw, document.baseURI).href });
  });
  btn('gen-clear-stored').addEventListener('click', () => send({ type: 'clear-stored' }));
  btn('gen-go').addEventListener('click', start);
  btn('gen-stop').addEventListener('click', () => send({ type: 'stop' }));
  $('gen-mode-text').addEventListener('change', () => setMode(false));
  $('gen-mode-chat').addEventListener('change', () => setMode(true));
  btn('gen-chat-reset').addEventListener('click', () => {
    messages.length = 0;
    $('gen-messages').innerHTML = '';
  });
  // Ctrl/Cmd+Enter in a text box generates.
  for (const id of ['gen-prompt', 'gen-message']) {
    $(id).addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) start();
    });
  }
  send({ type: 'stored' });
  bundled();
}
