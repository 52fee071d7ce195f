// A golden Hugging Face checkpoint of test/golden/<name>/ (written once by its gen_hf_*.py): config.json, the
// safetensors (parsed on demand) and PyTorch's logits of its ids.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensors } from '../../src/io/safetensors.js';

export const golden = (name: string) => {
  const dir = join(__dirname, '../golden', name);
  return {
    configJson: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')),
    st: () => parseSafetensors(readFileSync(join(dir, 'model.safetensors')), 'model.safetensors'),
    ...(JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as { ids: number[]; logits: number[] }),
  };
};
