"""GPU benchmark, PyTorch side: CaffeNet and GoogLeNet (torch_nets.py) on cuDNN, eager, NCHW, fp32 and
fp16 (.half()), at batch 1 and a large batch, with the same protocol as node-bench.mjs: warm-up runs
(excluded; cuDNN's autotuner runs there), then a measured window of at least --min-s seconds and
--min-iters runs, capped per point; median latency per batch, images/s = batch / median. Power from
nvidia-smi, sampled every 100 ms around the window and averaged over the samples inside it.

Two rows per point:
  pytorch-cudnn         input already on the GPU, output left there (the usual GPU-inference number)
  pytorch-cudnn-hostio  float32 input copied from host memory and probabilities copied back, as joule's
                        and onnxruntime's run() do

fp32 is true fp32 (TF32 off) unless --tf32. Where torch cannot be imported or sees no CUDA device the
JSON says so and every point is skipped.

    python3 bench/gpu/torch_bench.py [--quick] [--out results.json] [--budget-s 100]
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

QUICK = dict(batches="1,2", warmup_s=0.2, warmup_iters=1, min_s=0.5, min_iters=2, cap_s=5, budget_s=60)
FULL = dict(batches="1,128", warmup_s=1.0, warmup_iters=3, min_s=2.5, min_iters=10, cap_s=15, budget_s=100)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", default="gpu-bench-torch.json")
    p.add_argument("--models", default="caffenet,googlenet")
    p.add_argument("--precisions", default="fp32,fp16")
    p.add_argument("--batches")
    p.add_argument("--warmup-s", type=float)
    p.add_argument("--warmup-iters", type=int)
    p.add_argument("--min-s", type=float)
    p.add_argument("--min-iters", type=int)
    p.add_argument("--cap-s", type=float)
    p.add_argument("--budget-s", type=float)
    p.add_argument("--no-hostio", action="store_true", help="skip the pytorch-cudnn-hostio rows")
    p.add_argument("--tf32", action="store_true", help="let fp32 convolutions and matmuls use TF32")
    p.add_argument("--power", default="auto", choices=["auto", "off"])
    p.add_argument("--gpu-index", default=os.environ.get("JOULE_GPU_INDEX", "0"))
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"], help="cpu: only to test this script without a GPU")
    a = p.parse_args()
    for k, v in (QUICK if a.quick else FULL).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    return a


def log(line: str) -> None:
    print(f"[torch-bench] {line}", file=sys.stderr, flush=True)


class PowerMeter:
    """nvidia-smi power samples, taken every 100 ms between start() and stop()."""

    def __init__(self, index: str, field: str) -> None:
        self.index, self.field = index, field

    @staticmethod
    def probe(index: str):
        """A meter, or a string saying why power is not measured."""
        # power.draw.instant where the driver has it; power.draw is a 1 s average on recent GPUs.
        for field in ("power.draw.instant", "power.draw"):
            try:
                r = subprocess.run(["nvidia-smi", f"--query-gpu={field}", "--format=csv,noheader,nounits", "-i", index],
                                   capture_output=True, text=True, timeout=20)
            except (OSError, subprocess.SubprocessError) as e:
                return f"not measured (nvidia-smi: {type(e).__name__})"
            try:
                float(r.stdout.strip())
                return PowerMeter(index, field)
            except ValueError:
                continue
        return "not measured (nvidia-smi reports no power draw)"

    def start(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self.proc = subprocess.Popen(
            ["nvidia-smi", f"--query-gpu=timestamp,{self.field}", "--format=csv,noheader,nounits", "-lms", "100", "-i", self.index],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            parts = [x.strip() for x in line.split(",")]
            try:
                watts = float(parts[1])
            except (IndexError, ValueError):
                continue
            try:  # nvidia-smi's own timestamp, local time
                t = datetime.datetime.strptime(parts[0], "%Y/%m/%d %H:%M:%S.%f").timestamp()
            except ValueError:
                t = time.time()
            self.samples.append((t, watts))

    def stop(self, start: float, end: float) -> dict:
        time.sleep(0.15)  # let the window's last sample arrive
        self.proc.terminate()
        self.proc.wait()
        inside = [w for t, w in self.samples if start <= t <= end]
        if not inside:
            return {"watts": None, "powerNote": f"not measured (no {self.field} sample inside the window)"}
        return {"watts": sum(inside) / len(inside), "powerSamples": len(inside), "powerField": self.field}


def measure(run, a, meter) -> dict:
    """Warm-up, then the measured window; each run ends in a device synchronisation."""
    cap = a.cap_s
    if not isinstance(meter, str):
        meter.start()
    begin = time.perf_counter()
    warmup = 0
    while warmup < a.warmup_iters or time.perf_counter() - begin < a.warmup_s:
        run()
        warmup += 1
        if time.perf_counter() - begin > cap / 2:
            break
    times = []
    window_start = time.time()
    start = time.perf_counter()
    while len(times) < a.min_iters or time.perf_counter() - start < a.min_s:
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
        if time.perf_counter() - begin > cap:
            break
    window_s = time.perf_counter() - start
    window_end = time.time()
    power = {"watts": None, "powerNote": meter} if isinstance(meter, str) else meter.stop(window_start, window_end)
    return {
        "warmupIterations": warmup,
        "iterations": len(times),
        "windowS": window_s,
        "medianMs": statistics.median(times),
        "minMs": min(times),
        "maxMs": max(times),
        "capped": len(times) < a.min_iters or window_s < a.min_s,
        **power,
    }


def main() -> None:
    a = parse_args()
    report = {"tool": "torch-bench", "startedAt": datetime.datetime.now().isoformat(), "python": platform.python_version(),
              "settings": {k: v for k, v in vars(a).items() if k != "out"}, "points": []}
    base = "pytorch-cudnn" if a.device == "cuda" else "pytorch-cpu"
    runtimes = [base] + ([] if a.no_hostio or a.device == "cpu" else [f"{base}-hostio"])
    plan = [(r, m, p, int(b)) for m in a.models.split(",") for p in a.precisions.split(",")
            for r in runtimes for b in a.batches.split(",")]

    def save() -> None:
        with open(a.out, "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")

    def skip_all(reason: str) -> None:
        log(f"skipped: {reason}")
        report["skipped"] = reason
        report["points"] = [dict(runtime=r, model=m, precision=p, batch=b, status="skipped", reason=reason) for r, m, p, b in plan]
        save()

    try:
        import torch
    except ImportError as e:
        return skip_all(f"PyTorch not available ({e})")
    report["torch"] = torch.__version__
    if a.device == "cuda" and not torch.cuda.is_available():
        return skip_all(f"PyTorch {torch.__version__} sees no CUDA device")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch_nets

    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)
    if a.device == "cuda":
        report.update(gpu=torch.cuda.get_device_name(dev), cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(), tf32=a.tf32)
        log(f"{report['gpu']}, torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {report['cudnn']}")
    meter = "not measured (--power off)" if a.power == "off" else PowerMeter.probe(a.gpu_index)
    deadline = time.time() + a.budget_s

    nets = {}
    for runtime, model, precision, batch in plan:
        point = dict(runtime=runtime, model=model, precision=precision, batch=batch)
        label = f"{runtime} {model} {precision} batch {batch}"
        if time.time() > deadline:
            point.update(status="skipped", reason="time budget used up (--budget-s)")
        else:
            try:
                key = (model, precision)
                if key not in nets:
                    nets.clear()
                    torch.cuda.empty_cache()
                    net, size = torch_nets.build(model)  # asserts the parameter count
                    dtype = torch.float16 if precision == "fp16" else torch.float32
                    nets[key] = (net.to(dev, dtype), size, dtype)
                net, size, dtype = nets[key]
                host = torch.randn(batch, 3, size, size)  # float32, like joule's input
                x = host.to(dev, dtype)
                with torch.inference_mode():
                    if runtime == base:
                        def run():
                            y = net(x)
                            sync()
                            return y
                    else:
                        def run():  # float32 over the bus both ways, cast on the GPU
                            return net(host.to(dev).to(dtype)).float().cpu()
                    y = run().float()
                    point.update(status="ok", outputFinite=bool(torch.isfinite(y).all()),
                                 **measure(run, a, meter))
            except Exception as e:  # one point's failure (out of memory, say) must not end the run
                point.update(status="failed", reason=f"{type(e).__name__}: {e}")
        report["points"].append(point)
        save()
        if point["status"] == "ok":
            watts = "power not measured" if point["watts"] is None else f"{point['watts']:.0f} W"
            log(f"{label}: {batch / point['medianMs'] * 1000:.1f} images/s, median {point['medianMs']:.2f} ms "
                f"({point['iterations']} runs{', capped' if point['capped'] else ''}), {watts}")
        else:
            log(f"{label}: {point['status']}: {point['reason']}")
    log(f"wrote {a.out}")


if __name__ == "__main__":
    main()
