// nibble tokenize MODEL.gguf|HF_DIR --text TEXT [--json] [--no-special] [--parse-special]: the ids (and pieces)
// llama.cpp would give. Reads the header only (of a Hugging Face directory, its tokenizer files): no GPU, no weights.
import { openAsBlob, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GgufFileError, httpRangeSource, openGguf } from '../../src/io/gguf.js';
import { Tokenizer, TokenizerError } from '../../src/tokenizer/index.js';
import { atPath, HfDirError, loadHfTokenizer } from '../hf.js';
import { UsageError, type Command } from './command.js';

export const tokenizeCommand: Command = {
  summary: "a GGUF model's token ids for a text (its tokenizer.ggml.* vocabulary, as llama.cpp tokenizes)",
  help: `usage:
  nibble tokenize MODEL.gguf|URL|HF_DIR --text TEXT [--no-special] [--parse-special] [--json]
  (HF_DIR: a Hugging Face checkpoint directory; its tokenizer.model, else tokenizer.json)
options:
  --text TEXT        the text
  --no-special       do not add BOS/EOS (default: as the file's add_bos_token / add_eos_token say)
  --parse-special    special-token texts in TEXT (e.g. <|eot_id|>) become those tokens
  --json             print { ids, pieces }`,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({ args: argv, options: { text: { type: 'string' }, 'no-special': { type: 'boolean' }, 'parse-special': { type: 'boolean' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true }));
    } catch (e) {
      throw new UsageError(`tokenize: ${(e as Error).message}`);
    }
    if (positionals.length !== 1) throw new UsageError(`tokenize: give one model file (got ${positionals.length})`);
    if (values.text === undefined) throw new UsageError('tokenize: --text TEXT is required');
    const path = positionals[0];
    const remote = /^https?:\/\//i.test(path);
    let tk: Tokenizer;
    try {
      if (!remote && statSync(path).isDirectory()) {
        tk = Tokenizer.fromGguf(loadHfTokenizer(path)); // padded to config.json's vocab_size, as the model's GGUF is
      } else {
        if (!remote && !statSync(path).isFile()) throw new UsageError(`tokenize: ${path} is not a file`);
        const g = await openGguf(remote ? await httpRangeSource(path) : await openAsBlob(path), path);
        tk = Tokenizer.fromGguf(g.header.metadata);
      }
    } catch (e) {
      if (e instanceof UsageError) throw e;
      if (e instanceof GgufFileError || e instanceof TokenizerError || e instanceof HfDirError) throw new UsageError(`tokenize: ${atPath(path, e)}`);
      throw new UsageError(`tokenize: cannot read ${path}: ${(e as Error).message}`);
    }
    const ids = tk.encode(values.text, { addSpecial: !values['no-special'], parseSpecial: !!values['parse-special'] });
    const pieces = ids.map((id) => tk.tokenText(id));
    if (values.json) console.log(JSON.stringify({ ids, pieces }));
    else {
      console.log(ids.join(' '));
      console.log(ids.map((id, i) => `${id}\t${JSON.stringify(pieces[i])}`).join('\n'));
    }
    return 0;
  },
};
