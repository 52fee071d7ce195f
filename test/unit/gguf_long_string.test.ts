// A metadata string longer than openGguf's first read (1 MiB) is read by growing the prefix, not refused (a chat
// template or a merges entry can be long); a string longer than the file is still refused by name.
import { describe, expect, it } from 'vitest';
import { encodeGgufFile, gguf, GgufFileError, openGguf } from '../../src/io/gguf.js';

describe('GGUF strings past the first read', () => {
  it('a 1.5 MiB string value opens lazily', async () => {
    const long = 'x'.repeat(1.5 * (1 << 20));
    const bytes = encodeGgufFile([{ name: 't', type: 'F32', shape: [4], data: new Float32Array(4) }], { 'tokenizer.chat_template': gguf.str(long) });
    const g = await openGguf(new Blob([new Uint8Array(bytes)]), 'long.gguf');
    expect(g.header.metadata['tokenizer.chat_template'].value).toBe(long);
    expect([...(await g.tensor('t')).data]).toHaveLength(16);
  });

  it('a string length past the end of the file is refused, naming the key', async () => {
    const bytes = encodeGgufFile([], { 'general.name': gguf.str('abc') });
    const at = bytes.findIndex((_, i) => bytes[i] === 3 && bytes[i + 8] === 97); // the u64 length 3 before "abc"
    const bad = new Uint8Array(bytes);
    bad[at] = 0xff;
    bad[at + 1] = 0xff;
    await expect(openGguf(new Blob([bad]), 'bad.gguf')).rejects.toThrow(GgufFileError);
    await expect(openGguf(new Blob([bad]), 'bad.gguf')).rejects.toThrow(/general\.name/);
  });
});
