#!/usr/bin/env bash
# The GPU check of the language-model work (inside bench/gpu/run.sh), most telling first, each step time-limited so a
# run cut short still leaves the earlier files in OUTDIR (default: the current folder):
#   top-k.md / .json        sampling: the whole row read back vs the GPU top-k (sets gpuTopKMinVocab in tuning.ts)
#   lm-train-step.md / .json the bundled language model's training step, f32 and QAT, split by kernel (issue 19)
#   matmul-f32.md / .json   the f32 matmul's training products at 1024-4096 against the adapter's measured f32 peak
#                           (fma_peak.wgsl; issue 19's "at least 50% of the f32 peak") and the W4A16 GEMM, the
#                           tiled kernel's register tiles (4, 8), workgroups and depths swept: the fastest sets
#                           matmulF32's tile / wgX / wgY / bk in src/kernels/tuning.ts for the adapter
#                           (F32_LAYERS=64x128x128 for a dry run on a CPU adapter)
#   flash-attention.md / .json flash attention vs the composition, forward + backward (sets flashAttentionMaxHeadDim)
#   generate.md, generate/  decode and prefill tok/s on the bundled model and the 134M Q4_0 / Q4_K shapes (issue 17),
#                           with llama.cpp's CPU build (the judge of greedy agreement) and its Vulkan build, every
#                           layer on the GPU, as peers (node-llama-cpp 3.21.1's prebuilts, carried by pack.sh; its
#                           CUDA build is not: 181 MB and the CUDA runtime); LM_CHECK_LARGE=1 adds the Llama-3.2-1B shape
#   selftest.md / .json     the GPU case table (every kernel against its CPU reference) on this adapter
#   bash bench/gpu/run.sh bash bench/gpu/lm-check.sh OUTDIR
#   LM_CHECK_STEPS="matmul-f32 generate" bash bench/gpu/run.sh bash bench/gpu/lm-check.sh OUTDIR   (those steps only)
set -uo pipefail
out=${1:-.}
mkdir -p "$out"
export NIBBLE_DAWN_FLAGS=${NIBBLE_DAWN_FLAGS:-"enable-dawn-features=vulkan_enable_f16_on_nvidia disable-dawn-features=timestamp_quantization"}
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
step() { # name seconds command...
  local name=$1 secs=$2
  shift 2
  # LM_CHECK_STEPS="top-k generate ..." runs only the steps named (the caps sum to 1110 s, over a 600 s device call:
  # split a run across two calls that way).
  if [ -n "${LM_CHECK_STEPS:-}" ] && [[ " $LM_CHECK_STEPS " != *" $name "* ]]; then return 0; fi
  timeout "$secs" "$@" >"$out/$name.md" 2>&1
  echo "lm-check.sh: $name: exit $?"
  tail -n 8 "$out/$name.md"
}

step top-k 120 node dist/bench/top-k.js --json "$out/top-k.json"
step lm-train-step 180 node dist/bench/lm-train-step.js --json "$out/lm-train-step.json"
step matmul-f32 180 node dist/bench/run-matmul-f32.js --rounds 5 --layers "${F32_LAYERS:-1024x1024x1024,2048x2048x2048,4096x4096x4096}" \
  --variants "tiled,tiled t8 w16x16 k8,tiled t8 w16x16 k16,tiled t8 w8x8 k16,tiled t4 w16x16 k32,block4,rows r8 c16" \
  --json "$out/matmul-f32.json"
step flash-attention 90 node dist/bench/flash-attention.js --shapes "8,64,4,2,16;4,512,8,8,64;1,2048,32,8,64;1,1024,32,8,128" --json "$out/flash-attention.json"
step generate 300 node bin/nibble.mjs bench --filter generate --llama-gpu vulkan ${LM_CHECK_LARGE:+--large} --out "$out/generate"
step selftest 240 node bin/nibble.mjs selftest --json "$out/selftest.json"
