#!/usr/bin/env bash
# The GPU check of the fused matmuls (bench/matmul-sweeps.md, "On a GPU machine without Node"), inside bench/gpu/run.sh, most telling
# first: the W4A16 GEMV sweep (split against splitcols, workgroups 32..256, both reductions) that ends with the
# `# GEMV pick` block for src/kernels/tuning.ts; that pick run again as the adapter's default (run-matmul --tuning);
# the GGUF block types on the decode shapes; the test suite's matmul cases (nibble selftest); every path on the issue's
# shapes with the table's defaults. Writes gemv-sweep.md / gemv-sweep.json, pick.md, formats.md, selftest.txt /
# selftest.json and matmul.md / matmul.json (8 files) to OUTDIR (default: the current folder).
# A dry run on any adapter: SWEEP_SHAPES=1x256x512 SWEEP_WG=16,32 SWEEP_MATMUL=--quick (smaller, quicker).
set -uo pipefail
out=${1:-.}
mkdir -p "$out"
# Dawn hides shader-f16 on NVIDIA's Vulkan driver and quantizes timestamps unless told otherwise.
export NIBBLE_DAWN_FLAGS=${NIBBLE_DAWN_FLAGS:-"enable-dawn-features=vulkan_enable_f16_on_nvidia disable-dawn-features=timestamp_quantization"}
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
shapes=${SWEEP_SHAPES:-1x4096x4096,1x4096x11008,1x11008x4096}
# Most telling first (a run cut short at its time limit still leaves the earlier files): the W4A16 GEMV sweep.
node dist/bench/run-matmul.js --shapes "$shapes" --paths split,splitcols --wg ${SWEEP_WG:-32,64,128,256} --cols 1,2,4,8 \
  --bits 4 --f16 native --subgroups on,off --json "$out/gemv-sweep.json" >"$out/gemv-sweep.md" 2>&1
echo "gemv-sweep.sh: sweep: exit $?"
sed -n '/# GEMV pick/,$p' "$out/gemv-sweep.md"
# The pick run again as the adapter's default (--tuning lays it over the table's entry): the targets table of what
# src/kernels/tuning.ts would run with it, a second sample of the same configuration.
pick=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); if (r.gemvPick) console.log(JSON.stringify({matmulQ: r.gemvPick.tuning}))' "$out/gemv-sweep.json" 2>/dev/null)
if [ -n "$pick" ]; then
  sg=$(node -e 'const t=JSON.parse(process.argv[1]).matmulQ; console.log(t.subgroups === false ? "off" : "on")' "$pick")
  path=$(node -e 'console.log(JSON.parse(process.argv[1]).matmulQ.gemv)' "$pick")
  node dist/bench/run-matmul.js --shapes "$shapes" --paths "$path" --subgroups "$sg" --bits 4 --f16 native --tuning "$pick" \
    >"$out/pick.md" 2>&1
  echo "gemv-sweep.sh: pick $pick: exit $?"
  grep -E '^# tuning|copy bandwidth \|' "$out/pick.md"
fi
# GGUF formats on the decode shapes: the bytes each storage reads (Q4_K / Q5_K with compact k6 and with f32 scales).
node dist/bench/run-matmul.js --shapes "$shapes" --bits 4 --formats all >"$out/formats.md" 2>&1
echo "gemv-sweep.sh: formats: exit $?, $(grep -c '^| gguf' "$out/formats.md") gguf rows"
# The matmul cases of the test suite on this adapter (with shader-f16: the f16-native ones CI cannot run).
node bin/nibble.mjs selftest --filter matmul --json "$out/selftest.json" >"$out/selftest.txt" 2>&1
echo "gemv-sweep.sh: selftest: exit $?: $(tail -1 "$out/selftest.txt")"
# Every path and variant on the issue's shapes (decode and prefill), with the table's defaults.
node dist/bench/run-matmul.js ${SWEEP_MATMUL:---all} --json "$out/matmul.json" >"$out/matmul.md" 2>&1
echo "gemv-sweep.sh: default paths: exit $?, $(grep -c '^|' "$out/matmul.md") table rows"
