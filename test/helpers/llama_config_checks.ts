// What the configuration tests share (test/unit/llama_ref.test.ts, llama_config_families.test.ts): a synthetic file's
// header as llamaConfigFromGguf takes it, and the check that a header is refused with a ModelConfigError naming the
// key or tensor at fault.
import { expect } from 'vitest';
import { parseGgufFile, type GgufValue } from '../../src/io/gguf.js';
import { synthLlamaGguf, type SynthOptions } from '../../src/lm/synth.js';
import { llamaConfigFromGguf, ModelConfigError } from '../../src/nn/llama_config.js';

export type HeaderTensor = { name: string; type: never; shape: number[] };

/** A synthetic file's metadata and tensor list (shapes copied), and the parsed file. */
export function synthHeader(o: SynthOptions): { metadata: Record<string, GgufValue>; tensors: HeaderTensor[]; file: ReturnType<typeof parseGgufFile> } {
  const file = parseGgufFile(synthLlamaGguf(o));
  return { metadata: file.metadata, tensors: file.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] })), file };
}

/** llamaConfigFromGguf refuses the header with a ModelConfigError matching `re`. */
export function configFails(m: Record<string, GgufValue>, t: HeaderTensor[], re: RegExp): void {
  expect(() => llamaConfigFromGguf(m, t)).toThrow(ModelConfigError);
  expect(() => llamaConfigFromGguf(m, t)).toThrow(re);
}
