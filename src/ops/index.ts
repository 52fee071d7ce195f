// The graph ops (lazy, shape-checked at the call) and their backward rule table.
export { OpError } from './common.js';
export { relu, gelu, silu, affine, scale, neg, softcap, add, sub, mul, div, contiguous, expandCopy, expandScale, pad, concat, activationBackward } from './elementwise.js';
export { reshape, permute, transpose, slice } from './view.js';
export { sum, mean, unbroadcast } from './reduce.js';
export { matmul, linear, addBias, registerQuantMatmul, type QuantMatmulPlanner } from './matmul.js';
export { softmax, logSoftmax } from './softmax.js';
export { crossEntropy, mse, type CrossEntropyOptions } from './loss.js';
export { layerNorm, rmsNorm } from './norm.js';
export { embedding } from './embedding.js';
export { rope, ropePair, type RopeOptions } from './rope.js';
export { causalSelfAttention, causalAttentionRows, causalMask } from './attention.js';
export { cast } from './cast.js';
export { flashAttention, flashAttentionBackward, flashAttentionFits, FLASH_MAX_HEAD_DIM, type FlashAttentionOptions } from './flash_attention.js';
export { swiglu, swigluBackward, causalSoftmax, causalSoftmaxBackward } from './fused.js';
export { shortConv, shortConvBackward, SHORT_CONV_MAX_TAPS } from './short_conv.js';
export { GRADS, type GradRule } from './grads.js';
export { fakeQuant, fakeQuantBackward, rangeFor, fakeQuantLearnable, fakeQuantLearnableBackward, pact, pactBackward, type FakeQuantOptions, type LearnableFakeQuantOptions } from './fake_quant.js';
export { fakeQuantGguf, fakeQuantGgufBackward, type GgufFakeQuantType } from './fake_quant_gguf.js';
