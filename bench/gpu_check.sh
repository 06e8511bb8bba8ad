#!/usr/bin/env bash
# The first thing a session with a CUDA GPU runs, about 10 minutes in all (each step has a time limit):
#   1. the CUDA-marked tests: every pruning method and one attack of a tiny model on cuda, equal to the CPU's
#      within float tolerance (tests/prune/test_cuda.py, tests/attack/test_cuda.py);
#   2. krp and SparseGPT time per layer on a BERT-base-sized model (random weights), against the plain float32
#      path in the same process (bench.bench_prune --layers-only);
#   3. 2:4 on sparse tensor cores, where the GPU has them (bench.bench_inference's semi-structured row);
#   4. the sweep bench on cuda, a small grid (bench.bench_sweep).
# Tables and logs go to bench/results/ (gpu-check-*.txt, *-cuda.md). Without a GPU it prints one line, exit 0.
#
#     bash bench/gpu_check.sh          # on the GPU machine
#     bash bench/gpu_check.sh cpu      # steps 1-2 on the CPU (MiniLM as it ships), into a temporary folder: checks the script
#
# Python packages the machine lacks (textattack, datasets, ...) can travel as wheels in .whl/ (the device notes
# say how to download them): they are installed first, without an index.
set -uo pipefail
cd "$(dirname "$0")/.."
device=${1:-cuda}
python=${PYTHON:-python3}
if [ -d .whl ] && compgen -G ".whl/*.whl" > /dev/null; then
  "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}  # this checkout's robustprune, installed or not
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
if [ "$device" = cuda ] && ! "$python" -c "import sys, torch; sys.exit(not torch.cuda.is_available())" 2> /dev/null; then
  echo "gpu_check: no CUDA GPU visible to torch here; nothing run"
  exit 0
fi
if [ "$device" = cuda ]; then
  results=bench/results reps=3 models=bert-base
else
  results=$(mktemp -d) reps=1 models=minilm-pretrained
fi
mkdir -p "$results"
"$python" -c "import torch; print('gpu_check on', torch.cuda.get_device_name() if torch.cuda.is_available() else 'CPU', \
'| torch', torch.__version__, '| results in $results')"
failed=0
step() {  # step NAME SECONDS COMMAND...: run it under a time limit into $results/gpu-check-NAME.txt; go on if it fails
  local name=$1 limit=$2
  shift 2
  echo "== $name (at most ${limit} s): $*"
  if timeout "$limit" "$@" > "$results/gpu-check-$name.txt" 2>&1; then
    tail -n 3 "$results/gpu-check-$name.txt"
  else
    echo "   FAILED (exit $?; 124: out of time), the end of $results/gpu-check-$name.txt:"
    tail -n 15 "$results/gpu-check-$name.txt"
    failed=1
  fi
}
step tests 180 "$python" -m pytest -q -m cuda -p no:cacheprovider tests/prune/test_cuda.py tests/attack/test_cuda.py
step prune-layers 150 "$python" -m bench.bench_prune --device "$device" --models "$models" --layers-only \
  --layer-reps "$reps" --output "$results/prune-layers-$device.md"
if [ "$device" = cuda ]; then  # fp16 2:4 kernels: CUDA only, compute capability >= 8.0 (the bench says if not)
  step semi-structured 150 "$python" -m bench.bench_inference --device cuda --repeats 20 --sparsities 0.5 \
    --output "$results/inference-cuda.md"
fi
if [ "$device" = cuda ]; then  # (on the CPU it would first fine-tune the default: its own bench, not a check)
  step sweep 240 "$python" -m bench.bench_sweep --device cuda --model bert-base-sized --n 20 --methods krp,magnitude \
    --sparsities 0.5 --recipes textbugger --num-cpus 4 --output "$results/sweep-cuda.md"
fi
echo "gpu_check: done$([ $failed = 1 ] && echo ', with failures (above)')"
exit $failed
