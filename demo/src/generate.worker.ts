// The Generate tab's worker: its own WebGPU context (navigator.gpu exists in workers), one LanguageModel at a time,
// text streamed back piece by piece. Loads and generations run one after another; 'stop' aborts the running
// generation at once, between two tokens.
import { createBrowserContext } from '../../runtime/browser.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { httpRangeSource, openGguf, type GgufSource } from '../../src/io/gguf.js';
import type { GenerationStats } from '../../src/lm/model.js';
import { LanguageModel } from '../../src/lm/model.js';
import { llamaConfigFromGguf } from '../../src/nn/llama_config.js';
import type { FromWorker, ModelChoice, ModelInfo, ToWorker } from './generate-protocol.js';
import { capHeaderReads } from './parse-protocol.js';
import { clearStored, listStored, recordInto, storedModel, type Recorder } from './model-store.js';

const scope = self as unknown as { postMessage(m: FromWorker): void; onmessage: ((ev: MessageEvent<ToWorker>) => void) | null };
const post = (m: FromWorker) => scope.postMessage(m);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

let ctx: GpuContext | null = null;
let lm: LanguageModel | null = null;
let running: AbortController | null = null;
const ready: Promise<void> = createBrowserContext().then(
  (c) => {
    ctx = c;
    post({ type: 'ready', adapter: [c.info.vendor, c.info.architecture, c.info.description].filter(Boolean).join(' / ') + (c.info.isFallback ? ' (software fallback)' : '') });
  },
  (e) => post({ type: 'fatal', message: `WebGPU in the worker: ${message(e)}` }),
);
/** Loads and generations, one at a time, once the context exists (or failed: then each load says so). */
let queue: Promise<void> = ready;

/**
 * A source whose reads from offset 0 are kept while a model loads: the header is parsed twice (once here to show the
 * file's tensor types and check its config before the old model is dropped, once by LanguageModel.load), read once.
 */
function withHeaderMemo(src: GgufSource, name: string): GgufSource & { name: string; forget(): void } {
  const memo = new Map<number, Promise<ArrayBuffer>>();
  return {
    name,
    size: src.size,
    slice(start, end) {
      if (start !== 0) return src.slice(start, end);
      return {
        arrayBuffer() {
          if (!memo.has(end)) memo.set(end, src.slice(0, end).arrayBuffer());
          return memo.get(end)!;
        },
      };
    },
    forget: () => memo.clear(),
  };
}

const progress = (phase: string, loaded: number, total: number, label: string) => post({ type: 'progress', phase, loaded, total, label });

async function open(choice: ModelChoice): Promise<{ src: GgufSource; name: string; from: ModelInfo['from']; rec: Recorder | null }> {
  if (choice.kind === 'file') return { src: choice.file, name: choice.file.name, from: 'file', rec: null };
  const name = decodeURIComponent(choice.url.split('/').pop() || choice.url);
  if (choice.kind === 'bundled') {
    // Same origin and under a megabyte: one plain GET.
    progress('download', 0, 1, name);
    const res = await fetch(choice.url);
    if (!res.ok) throw new Error(`GET ${choice.url} answered ${res.status}`);
    return { src: await res.blob(), name, from: 'bundled', rec: null };
  }
  const stored = await storedModel(choice.url);
  if (stored) return { src: stored, name, from: 'storage', rec: null };
  const remote = await httpRangeSource(choice.url);
  const rec = await recordInto(choice.url, remote);
  return { src: rec?.source ?? remote, name, from: 'network', rec };
}

async function load(choice: ModelChoice): Promise<void> {
  const t0 = performance.now();
  const o = await open(choice);
  const src = withHeaderMemo(o.src, o.name);
  try {
    const { header } = await openGguf(capHeaderReads(src, o.name), o.name); // the header pass: at most GGUF_HEADER_CAP bytes
    llamaConfigFromGguf(header.metadata, header.tensors); // a file nibble cannot run is refused before the old model goes
    const types = new Map<string, { count: number; bytes: number }>();
    for (const t of header.tensors) {
      const e = types.get(t.type) ?? { count: 0, bytes: 0 };
      types.set(t.type, { count: e.count + 1, bytes: e.bytes + t.bytes });
    }
    lm?.dispose();
    lm = null;
    if (!ctx) throw new Error('no WebGPU context in the worker');
    const model = await LanguageModel.load(ctx, src, { onProgress: (p) => progress('upload', p.loaded, p.total, p.tensor) });
    if (o.rec) {
      progress('store', 0, 1, `keeping ${o.name} in the browser's storage`);
      await o.rec.commit().catch((e) => console.warn(message(e))); // the model runs either way
    }
    lm = model;
    const info: ModelInfo = {
      name: o.name,
      fileBytes: src.size,
      config: model.config,
      ctxLen: model.engine.ctxLen,
      types: [...types].map(([type, e]) => ({ type, ...e })),
      chatTemplate: model.chatTemplate,
      gpuBytes: model.gpuBytes,
      from: o.from,
      loadMs: performance.now() - t0,
    };
    post({ type: 'loaded', info });
  } catch (e) {
    await o.rec?.discard();
    throw e;
  } finally {
    src.forget();
  }
}

async function stream(id: number, start: () => AsyncGenerator<string, GenerationStats>): Promise<void> {
  running = new AbortController();
  try {
    const gen = start();
    for (;;) {
      const r = await gen.next();
      if (r.done) {
        post({ type: 'done', id, stats: r.value });
        return;
      }
      post({ type: 'piece', id, text: r.value });
    }
  } catch (e) {
    post({ type: 'gen-error', id, message: message(e) });
  } finally {
    running = null;
  }
}

function model(id: number): LanguageModel | null {
  if (!lm) post({ type: 'gen-error', id, message: 'no model is loaded' });
  return lm;
}

async function sendStored(): Promise<void> {
  try {
    post({ type: 'stored', ...(await listStored()) });
  } catch (e) {
    post({ type: 'stored', models: [], note: `the browser's storage could not be read: ${message(e)}` });
  }
}

function handle(m: ToWorker): void {
  switch (m.type) {
    case 'stop':
      running?.abort();
      return;
    case 'stored':
      void sendStored();
      return;
    case 'clear-stored':
      queue = queue.then(() => clearStored().catch((e) => console.warn(message(e)))).then(sendStored);
      return;
    case 'load':
      running?.abort();
      queue = queue.then(() => load(m.choice).catch((e) => post({ type: 'load-error', message: message(e) }))).then(sendStored);
      return;
    case 'generate':
      queue = queue.then(() => {
        const l = model(m.id);
        if (l) return stream(m.id, () => l.generate(m.prompt, { ...m.options, signal: running!.signal }));
      });
      return;
    case 'chat':
      queue = queue.then(() => {
        const l = model(m.id);
        // A conversation grows turn by turn: its earlier turns stay in the KV cache (cachePrompt), so a reply prefills only the new text.
        if (l) return stream(m.id, () => l.chat(m.messages, { ...m.options, cachePrompt: true, signal: running!.signal }));
      });
      return;
  }
}

scope.onmessage = (ev) => handle(ev.data);
