"""Run SCALE-Sim 3.0.0 on a batch of conv layers and write its per-layer numbers as JSON.

This script is executed by the *SCALE-Sim* virtual environment's interpreter (not by the
project's), so it imports nothing from sqnxt_sim and uses only SCALE-Sim and the stdlib.

    python scalesim_driver.py SPEC.json OUT.json

SPEC.json: {"rows": int, "cols": int, "dataflow": "os"|"ws"|"is", "workdir": str,
            "layers": [{"name": str, "H": int, "W": int, "R": int, "S": int,
                        "C": int, "K": int, "stride": int}, ...]}
           or, instead of "layers", "topology": the path of a ready SCALE-Sim topology CSV
           (e.g. one written by `sqnxt-sim export --to scalesim`), given to SCALE-Sim as is.

All layers of one (array shape, dataflow) go through one SCALE-Sim run, so the interpreter and
SCALE-Sim start only once.  Traces are not written (save_disk_space=True); SCALE-Sim's own CSV
reports still land in workdir.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

CONFIG_TEMPLATE = """\
[general]
run_name = crosscheck

[run_presets]
InterfaceBandwidth = CALC
UseRamulatorTrace = False

[architecture_presets]
ArrayHeight = {rows}
ArrayWidth = {cols}
IfmapSramSzkB = 256
FilterSramSzkB = 256
OfmapSramSzkB = 128
IfmapOffset = 0
FilterOffset = 10000000
OfmapOffset = 20000000
Bandwidth = 10
Dataflow = {dataflow}
ReadRequestBuffer = 32
WriteRequestBuffer = 32

[layout]
IfmapCustomLayout = False
IfmapSRAMBankBandwidth = 10
IfmapSRAMBankNum = 10
IfmapSRAMBankPort = 2
FilterCustomLayout = False
FilterSRAMBankBandwidth = 10
FilterSRAMBankNum = 10
FilterSRAMBankPort = 2

[sparsity]
SparsitySupport = false
SparseRep = ellpack_block
OptimizedMapping = false
BlockSize = 8
RandomNumberGeneratorSeed = 40
"""

TOPO_HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
               "Channels, Num Filter, Strides,\n")


def main(spec_path: str, out_path: str) -> None:
    with open(spec_path) as f:
        spec = json.load(f)
    workdir = spec["workdir"]
    os.makedirs(workdir, exist_ok=True)

    cfg_path = os.path.join(workdir, "scale.cfg")
    topo_path = os.path.join(workdir, "topology.csv")
    layout_path = os.path.join(workdir, "layout.csv")
    with open(cfg_path, "w") as f:
        f.write(CONFIG_TEMPLATE.format(rows=spec["rows"], cols=spec["cols"],
                                       dataflow=spec["dataflow"]))
    if "topology" in spec:
        topo_path = spec["topology"]
    else:
        with open(topo_path, "w") as f:
            f.write(TOPO_HEADER)
            for layer in spec["layers"]:
                f.write("{name}, {H}, {W}, {R}, {S}, {C}, {K}, {stride},\n".format(**layer))
    with open(layout_path, "w") as f:
        # Custom layouts are off; SCALE-Sim still insists on opening a layout file.
        f.write("Layer name,\n")

    from scalesim.scale_sim import scalesim

    # SCALE-Sim prints progress from deep inside; keep stdout clean for the caller.
    with contextlib.redirect_stdout(io.StringIO()):
        sim = scalesim(save_disk_space=True, verbose=False, config=cfg_path,
                       topology=topo_path, layout=layout_path)
        sim.run_scale(top_path=os.path.join(workdir, "results"))

    results = []
    # A layer whose name contains "DP" is split by SCALE-Sim into one layer per channel
    # ("<name>Channel_<i>"), so report SCALE-Sim's own layer list, named as it names them.
    for layer_obj in sim.runner.single_layer_sim_object_list:
        (overall, total, stall, overall_util, mapping_eff,
         compute_util) = layer_obj.get_compute_report_items()
        comp = layer_obj.compute_system
        ofmap_h, ofmap_w = sim.topo.get_layer_ofmap_dims(layer_obj.get_layer_id())
        results.append({
            "name": sim.topo.get_layer_name(layer_obj.get_layer_id()),
            "total_cycles_incl_prefetch": int(overall),
            "total_cycles": int(total),
            "stall_cycles": int(stall),
            "overall_util_pct": float(overall_util),
            "mapping_efficiency_pct": float(mapping_eff),
            "compute_util_pct": float(compute_util),
            "ifmap_sram_reads": int(comp.get_ifmap_requests()),
            "filter_sram_reads": int(comp.get_filter_requests()),
            "ofmap_sram_writes": int(comp.get_ofmap_requests()),
            "num_folds": len(comp.mapping_efficiency_per_fold),
            "ofmap_h": int(ofmap_h),
            "ofmap_w": int(ofmap_w),
        })
    with open(out_path, "w") as f:
        json.dump({"rows": spec["rows"], "cols": spec["cols"], "dataflow": spec["dataflow"],
                   "layers": results}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
