#!/usr/bin/env bash
# Packs what an x86-64 Linux machine with a GPU but without Node needs to run nibble's Node benches under Dawn
# (a lent bench machine, a bare cloud GPU): the node binary, the built dist/ (src, runtime, bench, the case table of
# `nibble selftest`) and bin/, the npm packages
# those import at run time (webgpu with its dawn.node, wgsl_reflect) and the Vulkan loader (libvulkan1, with libglvnd,
# as .debs).
# Run it here, after `npm ci` (it builds); it writes .gpubundle/ (git-ignored, about 35 MB), which bench/gpu/run.sh
# unpacks on the GPU machine. Nothing is downloaded there.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.gpubundle
[ "$(uname -m)" = x86_64 ] || { echo "pack.sh: this machine is $(uname -m); the bundle's node and dawn.node must be x86-64" >&2; exit 2; }
[ -d node_modules/webgpu ] || { echo "pack.sh: run npm ci first" >&2; exit 2; }
npm run build >/tmp/nibble-pack-build.log 2>&1 || { cat /tmp/nibble-pack-build.log >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/debs"
# dist/browser/*.js: the GPU case table that `nibble selftest` runs (not the peers' wasm under ort/).
tar -cJf "$out/app.tar.xz" package.json bin dist/src dist/runtime dist/bench dist/browser/*.js dist/browser/index.html \
  node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/dist/linux-x64 \
  node_modules/wgsl_reflect/package.json node_modules/wgsl_reflect/wgsl_reflect.module.js node_modules/wgsl_reflect/wgsl_reflect.node.js
xz -T0 -c "$(command -v node)" >"$out/node.xz"
# The Vulkan loader for amd64, and the GL dispatch libraries (libglvnd) that NVIDIA's Vulkan ICD needs, whatever
# this machine's own package lists say (Debian's repositories, no other source).
lists=$(mktemp -d)
mkdir -p "$lists/partial"
apt=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
apt-get "${apt[@]}" update -qq
(cd "$out/debs" && apt-get "${apt[@]}" download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2 >/dev/null)
rm -rf "$lists"
node -e 'const v=process.versions; console.log(`pack.sh: node ${v.node}`)'
du -sh "$out" "$out"/* | sed 's/^/pack.sh: /'
