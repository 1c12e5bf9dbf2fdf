#!/usr/bin/env bash
# Makes .gpu-bundle/ at the repository root: everything the GPU benchmark needs on a machine with no Node,
# no Vulkan loader and no network. Run it on an x86-64 Debian/Ubuntu developer machine after
# `npm ci && npm run build`; it needs apt-get (for the loader packages) and network access to a Debian mirror.
#
#   bash bench/gpu/bundle.sh
#
# .gpu-bundle/
#   node.xz          this machine's Node binary, xz-compressed
#   joule.tar.xz     joule/{dist, package.json, bench/gpu, node_modules (run-time packages only, linux-x64 binaries)}
#   debs/*.deb       Debian amd64 packages: the Vulkan loader and the GL/EGL dispatch libraries (libglvnd)
#   MANIFEST.txt     what went in, and from which commit
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
limit_mib=56

[ -f dist/index.js ] || { echo "bundle.sh: no dist/: run 'npm ci && npm run build' first" >&2; exit 1; }
[ -d node_modules/onnxruntime-node/bin/napi-v6/linux/x64 ] || { echo "bundle.sh: node_modules lacks onnxruntime-node's linux-x64 binaries: run 'npm ci'" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "bundle.sh: the bundle carries this machine's Node binary, so it must be made on x86-64" >&2; exit 1; }
node_bin=$(command -v node)

out=.gpu-bundle
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
rm -rf "$out"
mkdir -p "$out/debs"

# --- joule and the run-time packages -------------------------------------------------------------------
app="$stage/joule"
mkdir -p "$app/node_modules" "$app/bench"
cp -r dist package.json "$app/"
cp -r bench/gpu "$app/bench/"
rm -rf "$app/bench/gpu/__pycache__"

# Pure-JavaScript packages with their dependencies, recursively (type-only packages left out): protobufjs
# (ONNX decoding), commander (joule's CLI), onnxruntime-common (onnxruntime-node's API).
pure=$(node -e '
  const fs = require("fs");
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name) || name.startsWith("@types/")) return;
    seen.add(name);
    const pkg = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8"));
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep);
  };
  ["protobufjs", "commander", "onnxruntime-common"].forEach(visit);
  console.log([...seen].join("\n"));
')
for name in $pure; do
  mkdir -p "$app/node_modules/$(dirname "$name")"
  cp -r "node_modules/$name" "$app/node_modules/$name"
done

# Packages with native code: only their JavaScript and the linux-x64 binaries. Their own dependencies
# (webgpu: @webgpu/types, debug; onnxruntime-node: adm-zip, global-agent) serve only installation.
copy_parts() { # package, then paths inside it
  local name=$1; shift
  for part in "$@"; do
    mkdir -p "$app/node_modules/$name/$(dirname "$part")"
    cp -r "node_modules/$name/$part" "$app/node_modules/$name/$part"
  done
}
copy_parts webgpu package.json index.js LICENSE.md dist/linux-x64
copy_parts onnxruntime-node package.json dist bin/napi-v6/linux/x64

tar -C "$stage" -cf - joule | xz -T0 -9 > "$out/joule.tar.xz"
xz -T0 -9 -c "$node_bin" > "$out/node.xz"

# --- the Vulkan loader and GL/EGL dispatch, for a GPU machine that has the NVIDIA driver but no loader ---------
# Fetched for amd64 whatever this machine's own apt set-up is, with a private package list.
mkdir -p /tmp/amd64/partial
o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
apt-get "${o[@]}" update >/dev/null
(cd "$out/debs" && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
for pkg in libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2; do
  ls "$out/debs/${pkg}_"*.deb >/dev/null 2>&1 || { echo "bundle.sh: apt-get download $pkg failed" >&2; exit 1; }
done

# --- what went in ----------------------------------------------------------------------------------------------
{
  echo "made $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$( [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && echo ' (with uncommitted changes)')"
  echo "node $("$node_bin" --version)"
  echo "packages: $(tr '\n' ' ' <<<"$pure")webgpu onnxruntime-node"
  (cd "$out" && ls -l node.xz joule.tar.xz debs/*.deb | awk '{print $5, $9}')
} > "$out/MANIFEST.txt"

bytes=$(du -sb "$out" | cut -f1)
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "bundle.sh: $out is $mib MiB ($bytes bytes):"
sed 's/^/  /' "$out/MANIFEST.txt"
if [ "$bytes" -gt $((limit_mib * 1048576)) ]; then
  echo "bundle.sh: the bundle exceeds $limit_mib MiB" >&2
  exit 1
fi
