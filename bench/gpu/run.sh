#!/usr/bin/env bash
# On the GPU machine (x86-64 Linux, as root): unpacks the bundle that bench/gpu/pack.sh made and runs a command in it,
# with node on PATH and Dawn finding the vendor's Vulkan driver.
#   bash bench/gpu/run.sh node dist/bench/run-matmul.js --all
#   bash bench/gpu/run.sh bash bench/gpu/gemv-sweep.sh OUTDIR
# NIBBLE_BUNDLE names another bundle folder (default: .gpubundle beside this repo's bench/). The command runs in the
# unpacked app folder, which holds dist/, node_modules/ and this repo's bench/gpu/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bundle=${NIBBLE_BUNDLE:-$repo/.gpubundle}
[ -f "$bundle/app.tar.xz" ] || { echo "run.sh: no bundle at $bundle (make one with bench/gpu/pack.sh)" >&2; exit 2; }
# The Vulkan loader, and the GL dispatch libraries NVIDIA's Vulkan ICD (libGLX_nvidia.so.0) links against: without
# those the loader finds "no drivers" (seen on a bare H100 machine).
if ! ldconfig -p | grep -q 'libvulkan\.so\.1' || ! ldconfig -p | grep -q 'libGLdispatch\.so\.0'; then
  for f in "$bundle"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
# Container images often keep NVIDIA's Vulkan ICD outside the loader's default search path.
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ] && [ -z "${VK_DRIVER_FILES:-}" ]; then export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd; fi
done
app=${TMPDIR:-/tmp}/nibble-app
rm -rf "$app"
mkdir -p "$app/bin"
tar -xJf "$bundle/app.tar.xz" -C "$app"
mkdir -p "$app/bench"
cp -r "$repo/bench/gpu" "$app/bench/"
xz -dc "$bundle/node.xz" >"$app/bin/node"
chmod +x "$app/bin/node"
export PATH=$app/bin:$PATH
cd "$app"
echo "run.sh: node $(node --version), Vulkan driver ${VK_DRIVER_FILES:-default search}"
"$@"
