#!/usr/bin/env bash
# Packs what an x86-64 Linux machine with a GPU but without Node needs to run nibble's Node benches under Dawn
# (a lent bench machine, a bare cloud GPU): the node binary, the built dist/ (src, runtime, bench, the case table of
# `nibble selftest`) and bin/, the bundled models and text the language-model benches read (demo/public/models,
# demo/public/data), the npm packages
# those import at run time (webgpu with its dawn.node, wgsl_reflect) and the Vulkan loader (libvulkan1, with libglvnd,
# as .debs).
# Run it here, after `npm ci` (it builds); it writes .gpubundle/ (git-ignored, about 55 MB with llama.cpp's builds, 35
# without), which bench/gpu/run.sh
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
# llama.cpp for the language-model bench's peer rows (bench/gpu/lm-check.sh): node-llama-cpp without its llama.cpp
# sources (the 34 MB git bundle: prebuilt binaries only, build 'never'), the packages it imports, and its prebuilt
# x64 CPU and Vulkan builds (the CUDA build is 181 MB and needs the CUDA runtime libraries, which a bare GPU machine
# lacks). NIBBLE_PACK_LLAMA=0 leaves them out.
llama=()
if [ "${NIBBLE_PACK_LLAMA:-1}" = 1 ] && [ -d node_modules/node-llama-cpp ]; then
  # Every package node-llama-cpp reaches, resolved as Node does (a package's own node_modules first, then its
  # ancestors'): the top-level folders among them (nested ones travel inside their parent's).
  mapfile -t llama < <(node -e '
    const fs = require("fs"), path = require("path"), seen = new Set(), top = new Set();
    const find = (dep, from) => {
      for (let d = from; ; d = path.dirname(d)) {
        const c = path.join(d, "node_modules", dep);
        if (fs.existsSync(path.join(c, "package.json"))) return c;
        if (d === "." || d === path.dirname(d)) return null;
      }
    };
    const walk = (dir) => {
      if (seen.has(dir)) return;
      seen.add(dir);
      const rel = path.relative(".", dir).split(path.sep);
      if (rel.lastIndexOf("node_modules") === 0) top.add(rel.slice(0, rel[1].startsWith("@") ? 3 : 2).join("/"));
      const p = JSON.parse(fs.readFileSync(path.join(dir, "package.json")));
      for (const dep of Object.keys(p.dependencies || {})) { const c = find(dep, dir); if (c) walk(c); }
    };
    walk(path.join(".", "node_modules", "node-llama-cpp"));
    top.delete("node_modules/node-llama-cpp");
    for (const t of top) console.log(t);
    console.log("node_modules/@node-llama-cpp/linux-x64");
    console.log("node_modules/@node-llama-cpp/linux-x64-vulkan");')
  llama+=(node_modules/node-llama-cpp)
fi
tar -cJf "$out/app.tar.xz" --exclude=node_modules/node-llama-cpp/llama/gitRelease.bundle \
  package.json bin dist/src dist/runtime dist/bench dist/browser/*.js dist/browser/index.html demo/public/models demo/public/data \
  node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/dist/linux-x64 \
  node_modules/wgsl_reflect/package.json node_modules/wgsl_reflect/wgsl_reflect.module.js node_modules/wgsl_reflect/wgsl_reflect.node.js \
  "${llama[@]}"
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
