#!/usr/bin/env bash
# Regenerate every sweep study: results CSVs and figures under reports/sweeps/.
# Run from anywhere:  reports/sweeps/regenerate.sh [--jobs N]
# (uses the sqnxt-sim on PATH, else the repository's .venv)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
sim="$(command -v sqnxt-sim || echo "$root/.venv/bin/sqnxt-sim")"
out=reports/sweeps
for study in array_size rf_size buffer_bandwidth stem area_budget; do
  "$sim" sweep "sweeps/$study.yaml" --out "$out/$study.csv" "$@"
  rm -rf "$out/figures/$study"
done
f=$out/figures
"$sim" plot-sweep $out/array_size.csv -o $f/array_size --heatmap time_ms \
  --axes pe_array.rows dataflow >/dev/null
"$sim" plot-sweep $out/rf_size.csv -o $f/rf_size --heatmap time_ms \
  --axes rf.registers dataflow >/dev/null
"$sim" plot-sweep $out/buffer_bandwidth.csv -o $f/buffer_bandwidth --heatmap time_ms \
  --axes global_buffer.kb dram.bandwidth_gbps >/dev/null
"$sim" plot-sweep $out/buffer_bandwidth.csv -o $f/buffer_bandwidth --no-pareto \
  --heatmap energy --axes global_buffer.kb dram.bandwidth_gbps >/dev/null
"$sim" plot-sweep $out/stem.csv -o $f/stem --heatmap time_ms \
  --axes pe_array.rows dram.bandwidth_gbps >/dev/null
for m in time_ms conv1.cycles energy; do
  "$sim" plot-sweep $out/stem.csv -o $f/stem --no-pareto --heatmap "$m" \
    --axes pe_array.rows dram.bandwidth_gbps --baseline 1.0-SqNxt-23 >/dev/null
done
"$sim" plot-sweep $out/area_budget.csv -o $f/area_budget/time_area --x area_mm2 --y time_ms \
  >/dev/null
"$sim" plot-sweep $out/area_budget.csv -o $f/area_budget/energy_area --x area_mm2 --y energy \
  >/dev/null
"$sim" plot-sweep $out/area_budget.csv -o $f/area_budget/within_2mm2 --where 'area_mm2<=2.0' \
  >/dev/null
"$sim" plot-sweep $out/area_budget.csv -o $f/area_budget --no-pareto --heatmap perf_per_area \
  --axes pe_array.rows global_buffer.kb >/dev/null
# the area study's tables in README.md, read from its CSV
"$(dirname "$sim")/python" reports/sweeps/area_study.py --update 2>/dev/null \
  || python3 reports/sweeps/area_study.py --update
echo "regenerated: $(ls $out/*.csv | tr '\n' ' ')"
