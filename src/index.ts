// nibble: the library. It never touches navigator or the `webgpu` package; it is handed a GpuContext
// (runtime/node.ts or runtime/browser.ts).
export * from './gpu/context.js';
export * from './gpu/kernel.js';
export * from './gpu/timing.js';
export { preprocess, ShaderSourceError, type Defines } from './gpu/preprocess.js';
export { reflectShader, type ShaderReflection, type BindingInfo } from './gpu/reflect.js';
export { BufferPool, sizeClass } from './gpu/pool.js';
export * from './kernels/common.js';
export * from './kernels/basic.js';
export * from './kernels/matmul.js';
export { tuningFor, type Tuning } from './kernels/tuning.js';
export { Graph, type GraphOptions, type OutputSpec } from './graph/graph.js';
export { Executable, type CompileOptions, type ExecutableStats, type RunOptions } from './graph/executor.js';
export { Tensor, Storage, type DType, type QuantScheme, type Node, type PlanContext } from './graph/tensor.js';
export * as ops from './ops/index.js';
export * from './kernels/fake_quant.js';
export * from './ref/fake_quant.js';
export * from './data/digits.js';
export * from './kernels/optim.js';
export { sgdRef, adamwRef, adamwBias, gradNormRef } from './ref/optim.js';
export * from './train/schedule.js';
export * from './quant/layout.js';
export * from './quant/scheme.js';
export { f32ToF16Bits, f16BitsToF32, f32ToBf16Bits, bf16BitsToF32, roundF16, toF16Array, fromF16Array } from './quant/f16.js';
export { GGUF_BLOCKS, ggufScheme, ggufBytes, importGguf, exportGguf, dequantizeGguf, type GgufBlockType } from './quant/gguf.js';
export { importGptq, exportGptq, importGptqTensors, type Int4Checkpoint, type Int4Shape } from './quant/gptq.js';
export { importAwq, exportAwq, importAwqTensors, AWQ_ORDER } from './quant/awq.js';
export * from './kernels/quant.js';
export { runGgufWeight, type GgufWeightRun } from './kernels/gguf_weight.js';
export * from './kernels/runner.js';
export * from './io/safetensors.js';
// Names that two modules above both export: the explicit re-export picks one.
export { roundHalfEven } from './ref/quant.js';
export type { TensorData } from './kernels/fake_quant.js';
export type { TensorData as SafetensorsData } from './io/safetensors.js';
export { toF16 } from './ref/f16.js';
export * from './data/draw.js';
// Models, training and QAT (the README's training API).
export { initMlp, buildMlp, cloneWeights, readWeights, readQParams, type MlpWeights, type LayerQuant, type MlpGraph, type QParams } from './nn/mlp.js';
export { Optimizer, type OptimizerConfig } from './train/optimizer.js';
export { train, evaluate, epochOrder, accuracyOf, argmaxRows, softmaxRows, TrainingError, type Dataset, type TrainOptions, type TrainResult, type StepInfo } from './mlp/trainer.js';
export { prepare, convert, modelBytes, floatBytes, dequantizeLayer, floatModel, weightsOf, QuantizedMlpRunner, type QatConfig, type MlpModel, type QuantizedLayer, type QuantizedMlp } from './mlp/qat.js';
export { runDigitsPipeline, formatPipeline, toDataset, DEFAULT_PIPELINE, type PipelineOptions, type PipelineResult, type PipelineRow } from './mlp/pipeline.js';
export { qatFinetune, checkpointModel, checkpointWeights, type FinetuneOptions, type FinetuneResult } from './mlp/finetune.js';
export { readCheckpoint, checkpointBytes, CheckpointError, type Checkpoint } from './mlp/checkpoint.js';
export { AdaQat } from './mlp/adaqat.js';
export { GraphAdaQat, AdaQatError, type AdaQatOptions, type AdaQatReport, type AdaptiveLayer, type LayerRanges } from './train/adaqat.js';
export { encodeModel, decodeModel, expectModelShape, ModelFileError } from './io/model.js';
export { mlpForwardRef } from './ref/mlp.js';
// GGUF: QAT with the format's own scale rule (ops.fakeQuantGguf), its lossless export, and the file format.
export { planFakeQuantGguf, planFakeQuantGgufBackward, planFakeQuantGgufNan, planFillWords, ggufScratchBytes, FAKE_QUANT_GGUF_BACKWARD, FAKE_QUANT_GGUF_NAN, FILL_WORDS, type GgufFakeQuantType, type GgufFakeQuantScratch } from './kernels/fake_quant_gguf.js';
export { fakeQuantGgufRef, fillWordsRef, type GgufFakeQuantRef } from './ref/fake_quant_gguf.js';
export { convertGguf } from './mlp/qat.js';
export { encodeGgufFile, parseGgufFile, parseGgufHeader, openGguf, GgufHeaderIncomplete, ggufTensor, ggufReadable, GGML_TYPES, ggufTensorBytes, gguf, GgufFileError, GGML_TYPE_ID, GGUF_MAX_NAME_BYTES, type GgufFile, type GgufHeader, type GgufReader, type GgufTensorInfo, type GgufTensor, type GgufTensorIn, type GgufValue, type GgufScalar, type GgufScalarType, type GgufTensorType } from './io/gguf.js';
export { exportMlpGguf, importMlpGguf, GGUF_ARCH } from './mlp/gguf_export.js';
// Language models: Llama-family GGUF files on the fused kernels (src/lm), their tokenizer, sampling and chat.
export { LanguageModel, type GenerateOptions, type GenerationStats, type ModelSource } from './lm/model.js';
export { LlamaEngine, type EngineOptions, type StepOutput } from './lm/engine.js';
export { perplexityWindows, type PerplexityResult } from './lm/perplexity.js';
export { llamaForward, type LlamaOps } from './nn/llama.js';
export { llamaConfigFromGguf, llamaTensorNames, ModelConfigError, LLAMA_ARCHS, type LlamaConfig } from './nn/llama_config.js';
export { Tokenizer, TokenizerError, type EncodeOptions, type DecodeOptions } from './tokenizer/index.js';
export { Sampler, SamplingError, checkSampling, SAMPLING_DEFAULTS, type SamplingOptions } from './lm/sampling.js';
export { Utf8Stream, StopMatcher } from './lm/text.js';
export { renderChat, ChatTemplateError, type ChatMessage, type ChatRenderOptions } from './lm/chat.js';
export { synthLlamaGguf, spmByteVocab, SYNTH_WEIGHT_TYPES, type SynthOptions, type SynthWeightType } from './lm/synth.js';
export { llama3RopeFactors, longRopeAttnFactor, type Llama3RopeScaling } from './nn/rope_scaling.js';
export { llamaLogitsRef, type LlamaRefOptions } from './ref/llama.js';
// Training the Llama definition on the autograd graph (the first part of language-model QAT), byte-level text data.
export { GraphLlamaOps, buildLlamaTrainGraph, readLlamaWeights, readLsqScales, llamaLinears, distillLoss, IGNORE_INDEX, type LlamaWeights, type LlamaTrainGraph, type DistillOptions } from './nn/llama_train.js';
export { fakeQuantWeight, layerQuant, type LinearQuant } from './nn/linear_quant.js';
// nibble's layers, and QAT / training of any model built from them (docs/layers.md).
export { Linear, Embedding, RMSNorm, LayerNorm, SwiGLU, Attention, GraphScope, LayerError, initWeights, linearsOf, linearInfos, paramsOf, type ParamSpec, type ScopeOptions, type AttentionShape } from './nn/layers.js';
export { train as trainGraph, type TrainOptions as GraphTrainOptions, type TrainResult as GraphTrainResult, type TrainStep } from './train/loop.js';
export { prepareLinears, initLsqScales, convertLinear, convertLinears, convertLinearGguf, QatConfigError, type LinearInfo, type LinearQatConfig } from './train/qat_plan.js';
export { GraphTrainer, type TrainableGraph } from './train/graph_trainer.js';
export { qatLlama, convertLlama, gapRecovered, type LmQatOptions, type LmQatResult } from './lm/qat.js';
export { importHfLlama, hfLlamaConfig, permuteRope, type HfLlamaConfigJson } from './nn/hf_llama.js';
export { hfTokenizerMetadata } from './tokenizer/hf.js';
export { parseSentencePieceModel, spmTokenizerMetadata, type SentencePieceModel } from './tokenizer/sentencepiece.js';
export { llamaWeightsFromGguf, writeLlamaGguf, byteLevelVocab, initLlamaWeights, llamaConfig } from './nn/llama_weights.js';
export { textDataset, WindowSampler, validationBatches, natsPerByte, TextDataError, type TextDataset } from './data/text.js';
export { pretrainLlama, checkPretrainConfig, PretrainError, type PretrainConfig, type PretrainResult } from './lm/pretrain.js';
