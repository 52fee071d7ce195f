// Parses one visitor file with the library's bounded, fuzzed parsers (src/io) and answers once; the page
// (parse.ts) starts a fresh worker per file and terminates it after the answer, so a file that makes a parser
// slow or greedy costs this worker, never the page.
import { httpRangeSource, openGguf } from '../../src/io/gguf.js';
import { decodeModel, expectModelShape } from '../../src/io/model.js';
import { capHeaderReads, FileTooLarge, MODEL_FILE_CAP, mib, type GgufSummary, type ParseReply, type ParseRequest } from './parse-protocol.js';

const reply = (m: ParseReply) => (self as unknown as Worker).postMessage(m);

async function parse(req: ParseRequest): Promise<ParseReply> {
  if (req.kind === 'model') {
    if (req.file.size > MODEL_FILE_CAP) throw new FileTooLarge(`${req.name}: ${mib(req.file.size)} is over the ${mib(MODEL_FILE_CAP)} this page reads for a model file`);
    const q = expectModelShape(decodeModel(await req.file.arrayBuffer(), req.name), req.inputs, req.classes, req.name);
    return { ok: true, kind: 'model', model: q };
  }
  const src = typeof req.file === 'string' ? await httpRangeSource(req.file) : req.file;
  const h = (await openGguf(capHeaderReads(src, req.name), req.name)).header;
  const text = (k: string) => {
    const v = h.metadata[k];
    return v && v.type === 'string' ? (v.value as string).slice(0, 200) : null;
  };
  const gguf: GgufSummary = { version: h.version, fileSize: h.fileSize, metadataKeys: Object.keys(h.metadata).length, architecture: text('general.architecture'), modelName: text('general.name'), tensors: h.tensors };
  return { ok: true, kind: 'gguf', gguf };
}

self.onmessage = async (ev: MessageEvent<ParseRequest>) => {
  try {
    reply(await parse(ev.data));
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply({ ok: false, error: err.message, errorName: err.name });
  }
};
