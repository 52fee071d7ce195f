// src/data/text.ts: tokenization by the model's byte-level tokenizer, the 90/10 split, seeded training windows
// (reproducible, within the training split, BOS first, targets shifted by one), fixed validation windows with
// padding, nats per byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { natsPerByte, textDataset, TextDataError, validationBatches, WindowSampler } from '../../src/data/text.js';
import { byteLevelVocab } from '../../src/nn/llama_weights.js';
import { Tokenizer } from '../../src/tokenizer/index.js';

const tok = Tokenizer.fromGguf(byteLevelVocab());
const id = (ch: string) => (ch === ' ' ? 259 : 3 + ch.charCodeAt(0));

describe('text data', () => {
  it('tokenizes every byte as one token and splits off the last 10% for validation', () => {
    const text = 'First Citizen:\nBefore we proceed any further, hear me speak.\n'.repeat(3);
    const d = textDataset(text, tok);
    expect(d.bos).toBe(1);
    expect(d.tokensPerByte).toBe(1);
    expect(d.train.length + d.val.length).toBe(text.length);
    expect(d.val.length).toBe(text.length - Math.floor(text.length * 0.9));
    expect([...d.train.slice(0, 6)]).toEqual([...'First '].map(id));
    expect(tok.decode([...d.train, ...d.val])).toBe(text);
  });

  it('Tiny Shakespeare: 1,115,394 bytes, one token each', () => {
    const text = readFileSync('demo/public/data/tinyshakespeare.txt', 'utf8');
    const d = textDataset(text, tok);
    expect(d.bytes).toBe(1115394);
    expect(d.train.length + d.val.length).toBe(1115394);
    expect(d.val.length).toBe(111540);
  });

  it('training windows: a function of (seed, step), inside the training split, BOS then the shifted targets', () => {
    const d = textDataset('abcdefghijklmnopqrstuvwxyz'.repeat(4), tok);
    const s = new WindowSampler(d, 3, 5, 7);
    const a = s.batch(4);
    expect(new WindowSampler(d, 3, 5, 7).batch(4)).toEqual(a);
    expect(s.batch(5)).not.toEqual(a);
    expect(new WindowSampler(d, 3, 5, 8).batch(4)).not.toEqual(a);
    const train = [...d.train].join(',');
    for (let b = 0; b < 3; b++) {
      const ids = [...a.ids.slice(b * 5, b * 5 + 5)];
      const tg = [...a.targets.slice(b * 5, b * 5 + 5)];
      expect(ids[0]).toBe(1);
      expect(ids.slice(1)).toEqual(tg.slice(0, 4));
      expect(`,${train},`).toContain(`,${tg.join(',')},`);
    }
  });

  it('validation windows: fixed, evenly spread, the last batch padded with ignored targets', () => {
    const d = textDataset('0123456789'.repeat(10), tok);
    const v = validationBatches(d, 2, 4, 3, -100);
    expect(v.length).toBe(2);
    expect([...v[0].ids.slice(0, 4)]).toEqual([1, ...[...d.val.slice(0, 3)]]);
    expect([...v[1].targets.slice(0, 4)]).toEqual([...d.val.slice(d.val.length - 4)]);
    expect([...v[1].targets.slice(4)]).toEqual([-100, -100, -100, -100]);
    expect(validationBatches(d, 2, 4, 3, -100)).toEqual(v);
  });

  it('nats per byte, and clear errors', () => {
    expect(natsPerByte(2, { tokensPerByte: 0.5 })).toBe(1);
    expect(() => textDataset('', tok)).toThrow(TextDataError);
    const d = textDataset('abcdefghij', tok);
    expect(() => new WindowSampler(d, 2, 20, 0)).toThrow(/training split has 9 tokens, fewer than one window of 20/);
    expect(() => validationBatches(d, 2, 4, 3, -100)).toThrow(/validation split has 1 tokens/);
  });
});
