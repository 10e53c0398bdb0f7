#!/usr/bin/env bash
# Re-measures benchmarks/engine-grid.csv: both engines' trials per CPU second (one thread, `ntk bench --json`) on the
# grid that EngineChoice's time estimates were fitted to (docs/performance.md §3b). About 11 minutes on 2 cores.
# Usage: benchmarks/engine-grid.sh [path to ntk.dll] > engine-grid.csv
set -euo pipefail
ntk=${1:-src/Ntk.Cli/bin/Release/net10.0/ntk.dll}
configs=()
for L in 1 3 6; do for n in 4 8 16 32 64 128 256; do for m in 1 2 3 4 6 8 12 16 24 32; do
  configs+=("10,$L,$n,$m"); done; done; done
for n0 in 100 784; do for n in 16 64 256 512; do for m in 2 4 8 16 32 64; do configs+=("$n0,2,$n,$m"); done; done; done
for L in 2 3; do for n in 512 1024; do for m in 8 16 24 32 48 64; do configs+=("10,$L,$n,$m"); done; done; done
for c in 10,2,32,2 10,4,32,2 10,2,16,2 10,8,32,2 10,16,4,2 10,16,32,2 10,2,64,2; do configs+=("$c"); done
echo "input_dim,depth,width,inputs,dense_trials_per_cpu_s,conditional_trials_per_cpu_s"
args=()
for c in "${configs[@]}"; do args+=(--config "$c"); done
dotnet "$ntk" bench --only engines --seconds 0.3 --threads 1 --json "${args[@]}" 2>/dev/null | jq -r -s '[.[].results[]] | group_by([.inputDim, .depth, .width, .inputs])[]
  | [.[0].inputDim, .[0].depth, .[0].width, .[0].inputs,
     (map(select(.engine == "dense"))[0].singleThread.perCpuSecond | round),
     (map(select(.engine == "conditional"))[0].singleThread.perCpuSecond | round)] | @csv'
