#!/usr/bin/env python3
"""summarize.py TAG...: one line per TAG from eval_model.sh's TAG_{six,transfer,lut}.json:
fMSE of the result (change against the composite), images made worse, per family."""
import json
import sys


for tag in sys.argv[1:]:
    cells = []
    for family in ("six", "transfer", "lut"):
        try:
            with open(f"{tag}_{family}.json") as f:
                report = json.load(f)  # the averages over every composite are at its top level
        except (OSError, ValueError):  # eval_model.sh has not written this family yet
            cells.append(f"{'(pending)':>22s}")
            continue
        composite, result = report["composite"]["fmse"], report["result"]["fmse"]
        cells.append(f"{result:7.1f} ({100 * (result / composite - 1):+.1f}%) w{report['result']['worse']}")
    print(f"{tag:28s} " + " | ".join(cells))
