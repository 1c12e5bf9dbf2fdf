#!/usr/bin/env bash
# The GPU benchmark in one run: joule's webgpu backend and onnxruntime-node's WebGPU EP (node-bench.mjs),
# then PyTorch with cuDNN (torch_bench.py), then one table (report.mjs). See README.md beside this file.
#
#   bash bench/gpu/nvidia.sh [--quick] [--joule-backend webgpu|cpu] [--no-bundle] [OUT_DIR]
#
# NODE_BENCH_ARGS and TORCH_BENCH_ARGS add options to node-bench.mjs and torch_bench.py (e.g. "--batches 1").
# Run from anywhere; OUT_DIR defaults to $OUT_DIR, else ./gpu-bench-out. With .gpu-bundle/ at the
# repository root (bench/gpu/bundle.sh) it unpacks Node, joule and the Vulkan loader from there and needs
# nothing else but a GPU driver; without it (or with --no-bundle) it uses this checkout's node, dist/ and
# node_modules/. The full run takes 3 to 5 minutes (at most about 8); --quick (batches 1 and 2, short windows) is an
# end-to-end check that runs on any machine, a software Vulkan driver and no GPU included.
set -uo pipefail

quick=()
joule_backend=webgpu
use_bundle=1
out=${OUT_DIR:-}
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=(--quick) ;;
    --joule-backend) joule_backend=$2; shift ;;
    --joule-backend=*) joule_backend=${1#*=} ;;
    --no-bundle) use_bundle=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "nvidia.sh: unknown option $1" >&2; exit 2 ;;
    *) out=$1 ;;
  esac
  shift
done
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${out:-gpu-bench-out}
mkdir -p "$out" && out=$(cd "$out" && pwd)
started=$(date +%s)
say() { echo "== $*"; }
unxz_stream() { # xz -dc, or Python's lzma where xz is missing
  if command -v xz >/dev/null; then xz -dc; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer)'; fi
}

# --- Node and joule --------------------------------------------------------------------------------------------
bundle="$repo/.gpu-bundle"
if [ "$use_bundle" = 1 ] && [ -d "$bundle" ]; then
  # The loader and GL dispatch libraries (NVIDIA's Vulkan driver needs libGLdispatch), only where the
  # machine lacks one of them: they unpack into /.
  missing=0
  libs=$(ldconfig -p 2>/dev/null)
  for lib in libvulkan.so.1 libEGL.so.1 libGLX.so.0 libGLdispatch.so.0; do
    grep -q "[[:space:]]${lib//./\\.} " <<<"$libs" || missing=1
  done
  if [ "$missing" = 1 ]; then
    if [ "$(id -u)" = 0 ]; then
      say "installing the Vulkan loader and GL/EGL dispatch libraries from the bundle"
      for f in "$bundle"/debs/*.deb; do dpkg -x "$f" /; done
      ldconfig
    else
      echo "nvidia.sh: no Vulkan loader here and not root: cannot unpack $bundle/debs into /" >&2
    fi
  fi
  app=${JOULE_GPU_DIR:-/tmp/joule-gpu}
  rm -rf "$app" && mkdir -p "$app/bin"
  unxz_stream < "$bundle/node.xz" > "$app/bin/node" && chmod +x "$app/bin/node"
  unxz_stream < "$bundle/joule.tar.xz" | tar -C "$app" --strip-components=1 -xf -
  # This checkout's scripts over the bundled copies, so that edits to bench/gpu need no new bundle.
  cp "$repo"/bench/gpu/*.mjs "$repo"/bench/gpu/*.py "$app/bench/gpu/"
  node_bin="$app/bin/node"
  say "bundle: $(head -1 "$bundle/MANIFEST.txt"), unpacked in $app"
else
  app=$repo
  node_bin=$(command -v node || true)
  [ -n "$node_bin" ] || { echo "nvidia.sh: no node here and no .gpu-bundle/ (make one with bench/gpu/bundle.sh)" >&2; exit 1; }
  [ -f "$repo/dist/index.js" ] || { echo "nvidia.sh: no dist/: run 'npm ci && npm run build' (or make a bundle)" >&2; exit 1; }
  say "no bundle: using $node_bin and $repo/dist"
fi

# --- Vulkan and the driver -------------------------------------------------------------------------------------
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  XDG_RUNTIME_DIR=/tmp/joule-xdg-$(id -u)
  export XDG_RUNTIME_DIR
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
fi
probe() { "$node_bin" "$app/bench/gpu/node-bench.mjs" --probe 2>/dev/null; }
nvidia_icd() { # the first NVIDIA Vulkan driver manifest found
  local d
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
    find "$d" -maxdepth 1 -name 'nvidia_icd*.json' 2>/dev/null | sort | head -1
  done | head -1
}
adapter=$(probe)
if command -v nvidia-smi >/dev/null && ! grep -qi nvidia <<<"$adapter" && [ -z "${VK_DRIVER_FILES:-}" ]; then
  # The loader found no NVIDIA driver: point it at the driver's manifest (in containers, often mounted
  # under /usr/local/nvidia), and EGL at the driver's vendor file.
  icd=$(nvidia_icd)
  if [ -n "$icd" ]; then
    export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
    for egl in /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json /usr/share/glvnd/egl_vendor.d/10_nvidia.json; do
      [ -f "$egl" ] && { export __EGL_VENDOR_LIBRARY_FILENAMES=$egl; break; }
    done
    say "Vulkan found no NVIDIA driver: VK_DRIVER_FILES=$icd"
    adapter=$(probe)
  else
    echo "nvidia.sh: nvidia-smi is here but no nvidia_icd.json was found: the webgpu rows will not run on the GPU" >&2
  fi
fi

say "GPU"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi -L
  gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader -i "${JOULE_GPU_INDEX:-0}" 2>/dev/null | head -1)
else
  echo "nvidia-smi not found: power not measured"
  gpu_name=""
fi
say "Node $("$node_bin" --version)"
say "WebGPU adapter"
echo "${adapter:-probe failed}" | "$node_bin" -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    try {
      const a = JSON.parse(s.split("\n").find((l) => l.startsWith("JOULE_PROBE ")).slice(12));
      if (a.error) return console.log(a.error);
      console.log(`vendor ${a.vendor}, architecture ${a.architecture}, device ${a.device || "-"}, description ${a.description}`);
      console.log(`shader-f16: ${a.shaderF16 ? "yes" : "NO"}; features: ${a.features.join(" ")}`);
      const configs = (a.subgroupMatrixConfigs ?? []).map((c) => `${c.componentType}x${c.componentType}->${c.resultComponentType} ${c.M}x${c.N}x${c.K}`);
      console.log(`subgroup matrices: ${configs.join(", ") || "none"}; check of the joule kernel on them: ${a.matrixCheck ?? "not run"}`);
    } catch { console.log(s.trim()); }
  });'

# --- the benchmarks --------------------------------------------------------------------------------------------
# Each part has a time budget (points past it are skipped) and a hard timeout on top of it.
say "joule and onnxruntime-node (WebGPU)"
node_budget=$([ ${#quick[@]} -gt 0 ] && echo 150 || echo 240)
timeout -k 10 $((node_budget + 60)) "$node_bin" "$app/bench/gpu/node-bench.mjs" "${quick[@]}" \
  --joule-backend "$joule_backend" --budget-s "$node_budget" --out "$out/node.json" ${NODE_BENCH_ARGS:-} 2>&1 |
  grep -v -e '^Warning: max.*artificially reduced' || true
[ -f "$out/node.json" ] || echo "nvidia.sh: node-bench wrote no results" >&2

say "PyTorch (cuDNN)"
torch_budget=$([ ${#quick[@]} -gt 0 ] && echo 60 || echo 100)
if command -v python3 >/dev/null; then
  timeout -k 10 $((torch_budget + 40)) python3 "$app/bench/gpu/torch_bench.py" "${quick[@]}" \
    --budget-s "$torch_budget" --out "$out/torch.json" ${TORCH_BENCH_ARGS:-} || echo "nvidia.sh: torch_bench.py failed" >&2
else
  echo "python3 not found: PyTorch not measured"
fi

say "results ($(($(date +%s) - started)) s)"
"$node_bin" "$app/bench/gpu/report.mjs" ${gpu_name:+--gpu "$gpu_name"} \
  --md "$out/gpu-bench.md" --json "$out/gpu-bench.json" "$out/node.json" "$out/torch.json"
echo
echo "written: $out/gpu-bench.md, $out/gpu-bench.json (node.json and torch.json hold every point)"
