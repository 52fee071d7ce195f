#!/usr/bin/env bash
# The GPU check of the fused matmuls (bench/README.md, "GEMV sweep on a GPU"), inside bench/gpu/run.sh: the test
# suite's matmul cases (nibble selftest), the issue's shapes on every default path, then the W4A16 GEMV sweep (split
# against splitcols, both reductions) that ends with the `# GEMV pick` block for src/kernels/tuning.ts. Writes
# selftest.txt / selftest.json, matmul.md / matmul.json, gemv-sweep.md / gemv-sweep.json and formats.md / formats.json
# (GGUF block types on the decode shapes) to OUTDIR (default: the
# current folder). A dry run on any adapter: SWEEP_SHAPES=1x256x512 SWEEP_MATMUL=--quick (smaller shapes, quicker).
set -uo pipefail
out=${1:-.}
mkdir -p "$out"
# Dawn hides shader-f16 on NVIDIA's Vulkan driver and quantizes timestamps unless told otherwise.
export NIBBLE_DAWN_FLAGS=${NIBBLE_DAWN_FLAGS:-"enable-dawn-features=vulkan_enable_f16_on_nvidia disable-dawn-features=timestamp_quantization"}
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
# The matmul cases of the test suite on this adapter first (with shader-f16: the f16-native ones CI cannot run).
node bin/nibble.mjs selftest --filter matmul --json "$out/selftest.json" >"$out/selftest.txt" 2>&1
echo "gemv-sweep.sh: selftest: exit $?: $(tail -1 "$out/selftest.txt")"
node dist/bench/run-matmul.js ${SWEEP_MATMUL:---all} --json "$out/matmul.json" >"$out/matmul.md" 2>&1
echo "gemv-sweep.sh: default paths: exit $?, $(grep -c '^|' "$out/matmul.md") table rows"
node dist/bench/run-matmul.js --shapes "${SWEEP_SHAPES:-1x4096x4096,1x4096x11008,1x11008x4096}" --paths split,splitcols \
  --wg 32,64,128,256 --cols 1,2,4,8 --bits 4 --f16 native --subgroups on,off --json "$out/gemv-sweep.json" >"$out/gemv-sweep.md" 2>&1
echo "gemv-sweep.sh: sweep: exit $?"
# GGUF formats on the decode shapes: the bytes each storage reads (Q4_K / Q5_K with compact k6 and with f32 scales).
node dist/bench/run-matmul.js --shapes "${SWEEP_SHAPES:-1x4096x4096,1x4096x11008,1x11008x4096}" --bits 4 --formats all --json "$out/formats.json" >"$out/formats.md" 2>&1
echo "gemv-sweep.sh: formats: exit $?, $(grep -c '^| gguf' "$out/formats.md") gguf rows"
sed -n '/# GEMV pick/,$p' "$out/gemv-sweep.md"
