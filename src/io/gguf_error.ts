// The error class of bad GGUF input, in its own module so that both the file reader (src/io/gguf.ts) and the block
// decoder (src/quant/gguf.ts, which the reader imports) can throw it without an import cycle.

/** A GGUF file, or GGUF block data, that nibble refuses; the message names the key, tensor, block or offset. */
export class GgufFileError extends Error {}
