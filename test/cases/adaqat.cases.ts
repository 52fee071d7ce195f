// AdaQAT (src/train/adaqat.ts, the MLP's src/mlp/adaqat.ts): learned per-layer bit-widths. The update, probed
// through the training graph's run-time ranges, is checked against the loss of independently built forward graphs
// at each bit configuration; training with it reproduces, resumes and converts.
import { buildMlp, initMlp, type LayerQuant, type MlpWeights } from '../../src/nn/mlp.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { AdaQat } from '../../src/mlp/adaqat.js';
import { GraphTrainer } from '../../src/train/graph_trainer.js';
import { convert, prepare } from '../../src/mlp/qat.js';
import { evaluate, train } from '../../src/mlp/trainer.js';
import { assert, expectError, type GpuCase } from './types.js';
import { convertedMatchesFakeQuant, toyData } from './qat_helpers.js';


const SIZES = [32, 32, 4];
const data = toyData(96, 7);

/** The mean cross-entropy of `w` with quantizers `quant` on the first `batch` rows, from a graph of its own. */
async function lossOf(ctx: GpuContext, w: MlpWeights, quant: (LayerQuant | null)[], batch: number): Promise<number> {
  const mg = buildMlp(ctx, w, { batch, quant, loss: true, label: 'adaqat-ref' });
  try {
    const exe = await mg.graph.compile({ outputs: [mg.loss!] });
    await exe.run({ x: data.x.subarray(0, batch * 32), labels: Int32Array.from(data.y).subarray(0, batch) });
    return (await exe.read(mg.loss!))[0];
  } finally {
    mg.graph.destroy();
  }
}

export const CASES: GpuCase[] = [
  {
    name: 'adaqat: a bit-width update is lr * (L(ceil b) - L(ceil b - 1) + lambda * dC/db), from independent forward passes',
    async run(ctx) {
      const w = initMlp(SIZES, 11);
      const model = prepare(w, { bits: 4, group: 16, act: true });
      const o = { lambda: 0.3, lr: 1.5, init: 3.4 };
      const ada = new AdaQat(ctx, model.quant, SIZES, o);
      const B = 16;
      // The training graph reads its bit-widths from run-time ranges; the probes run its forward-only executable.
      const train = buildMlp(ctx, w, { batch: B, quant: ada.trainingQuant(), loss: true });
      const tr = await GraphTrainer.create(ctx, { graph: train.graph, loss: train.loss!, params: [...train.w, ...train.b] }, { lr: 0, weightDecay: 0 });
      try {
        ada.attachMlp(train);
        const q0 = ada.quant();
        const { grad } = ada.cost();
        const L = await lossOf(ctx, w, q0, B);
        // Slots in AdaQat's order: the weights of layers 0, 1, then the activations of layers 0, 1; all at ceil(3.4) = 4.
        const moved = (layer: number, kind: 'weight' | 'act'): (LayerQuant | null)[] => q0.map((q, i) => (i === layer ? { ...q!, [kind]: { ...q![kind]!, bits: 3 } } : q));
        const expect: number[] = [];
        const slots: [number, 'weight' | 'act'][] = [[0, 'weight'], [1, 'weight'], [0, 'act'], [1, 'act']];
        for (const [j, [layer, kind]] of slots.entries()) {
          const dL = L - (await lossOf(ctx, w, moved(layer, kind), B));
          expect.push(Math.min(8, Math.max(1.001, 3.4 - o.lr * (dL + o.lambda * grad[j]))));
        }
        await ada.afterStep(1, tr, { x: data.x.slice(0, B * 32), labels: Int32Array.from(data.y).slice(0, B) });
        const got = [ada.weight[0]!, ada.weight[1]!, ada.act[0]!, ada.act[1]!];
        got.forEach((g, j) => assert(g === expect[j], `slot ${j} (${slots[j].join(' ')}): b = ${g}, expected ${expect[j]}`));
        // The cost gradient with activations: dC/dbw_i = n_i * ba_i / (8 * sum n), n = [32*32, 4*32].
        const n = [1024, 128];
        const total = 1152;
        assert(Math.abs(grad[0] - (n[0] * 4) / (8 * total)) < 1e-15 && Math.abs(grad[3] - (n[1] * 4) / (8 * total)) < 1e-15, `cost gradient ${grad}`);
        assert(ada.updates === 1, `${ada.updates} updates`);
        return `b -> ${got.map((g) => g.toFixed(4)).join(', ')} (loss at 4 bits ${L.toFixed(5)})`;
      } finally {
        tr.destroy();
        train.graph.destroy();
      }
    },
  },
  {
    name: 'adaqat: a large cost lowers the bits, training reproduces bit for bit, the converted model equals fake-quant',
    async run(ctx) {
      const model = prepare(initMlp(SIZES, 3), { bits: 8, group: 16 });
      const opts = { epochs: 2, batch: 16, lr: 0.03, seed: 5, adaqat: { lambda: 1, lr: 1, init: 6 } };
      const seen: number[] = [];
      const a = await train(ctx, model, data, { ...opts, onBits: (_r, s) => void seen.push(s) });
      const b = await train(ctx, model, data, opts);
      assert(seen.length === 12 && seen[11] === 12, `onBits at steps ${seen}`);
      assert(a.losses.every((v, i) => v === b.losses[i]), 'runs differ');
      const r = a.adaqat!;
      assert(r.weightBits.every((x, i) => x !== null && x < 6 && x === a.quant[i]!.weight!.bits), `weight bits ${r.weightBits} / real ${r.weightReal}`);
      assert(r.actBits.every((x) => x === null), `act bits ${r.actBits}`);
      assert(JSON.stringify(r) === JSON.stringify(b.adaqat), 'bit-widths differ between runs');
      const fq = await evaluate(ctx, { weights: a.weights, quant: a.quant }, data);
      const conv = await convert(ctx, { weights: a.weights, quant: a.quant });
      assert(conv.layers.every((l, i) => l.bits === r.weightBits[i]), `converted bits ${conv.layers.map((l) => l.bits)}`);
      const worst = await convertedMatchesFakeQuant(ctx, conv, fq.logits, data, /./);
      return `bits 6 -> ${r.weightBits.join('/')} (real ${r.weightReal.map((x) => x!.toFixed(2)).join('/')}), cost ${r.cost.toFixed(2)}, converted = fake-quant (worst rel ${worst.toExponential(2)})`;
    },
  },
  {
    name: 'adaqat: a resumed checkpoint continues with the same losses and bit-widths',
    async run(ctx) {
      const model = prepare(initMlp(SIZES, 8), { bits: 8, group: 16, act: true });
      const opts = { epochs: 2, batch: 16, lr: 0.01, seed: 9, adaqat: { lambda: 1, lr: 1, init: 5 } };
      const full = await train(ctx, model, data, opts);
      let saved: Uint8Array | null = null;
      const first = await train(ctx, model, data, { ...opts, stopAtStep: 5, onCheckpoint: (b) => void (saved = b) });
      const rest = await train(ctx, model, data, { ...opts, resume: saved! });
      const joined = [...first.losses, ...rest.losses];
      assert(joined.every((v, i) => v === full.losses[i]), `resumed losses differ: ${joined.slice(4, 8)} vs ${full.losses.slice(4, 8)}`);
      assert(JSON.stringify(rest.adaqat!.weightReal) === JSON.stringify(full.adaqat!.weightReal) && JSON.stringify(rest.adaqat!.actReal) === JSON.stringify(full.adaqat!.actReal), 'bit-widths differ after resume');
      let plain: Uint8Array | null = null;
      await train(ctx, model, data, { epochs: 1, batch: 16, lr: 0.01, seed: 9, stopAtStep: 1, onCheckpoint: (b) => void (plain = b) });
      const e = await expectError('no state', () => train(ctx, model, data, { ...opts, resume: plain! }));
      assert(/the checkpoint has no AdaQAT state, but adaqat is on/.test(e), e);
      return `${joined.length} steps equal; bits W ${full.adaqat!.weightBits.join('/')} A ${full.adaqat!.actBits.join('/')}`;
    },
  },
  {
    name: 'adaqat: bad options and unquantized models are refused',
    async run(ctx) {
      const q = prepare(initMlp(SIZES, 1), { bits: 4, group: 16 }).quant;
      const msgs = [
        await expectError('lambda', () => new AdaQat(ctx, q, SIZES, { lambda: -1 })),
        await expectError('init', () => new AdaQat(ctx, q, SIZES, { init: 9 })),
        await expectError('maxBits', () => new AdaQat(ctx, q, SIZES, { minBits: 4, maxBits: 3 })),
        await expectError('float', () => new AdaQat(ctx, [null, null], SIZES, {})),
      ];
      assert(/lambda=-1 must be a finite number >= 0/.test(msgs[0]), msgs[0]);
      assert(/init=9 must be in \(1, 8\]/.test(msgs[1]), msgs[1]);
      assert(/maxBits=3 must be an integer in 2..8/.test(msgs[2]), msgs[2]);
      assert(/no quantized layer/.test(msgs[3]), msgs[3]);
      return msgs.join(' | ');
    },
  },
];
