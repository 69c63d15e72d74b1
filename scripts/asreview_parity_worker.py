"""Runs ASReview LAB's own simulation for scripts/asreview_parity.py.

Started by that script with an interpreter that has asreview installed (it is
not a dependency of this project: `python -m venv /tmp/asr && /tmp/asr/bin/pip
install asreview==3.0.8`). It only calls asreview's public classes (its data
loader, its default model configuration, its Simulate loop); nothing of
asreview is copied here or into the project.

Reads JSON on stdin: {"file": path, "rows": [file rows of the labelled
records], "ai": "elas_u4", "runs": [{"seed": s, "permutation": [...],
"priors": [...]}]} (permutation and priors as datasette_mscdm's simulate
draws them). Writes JSON on stdout: asreview's version, its labels and
title+abstract texts for those rows, and per seed the screening order
(positions in the labelled set, priors first, up to the last include:
asreview stops there).
"""

import json
import sys

import numpy as np
from asreview import __version__, load_dataset
from asreview.learner import ActiveLearningCycle
from asreview.models.models import get_ai_config
from asreview.simulation.simulate import Simulate


def main():
    job = json.load(sys.stdin)
    db = load_dataset(job["file"], dataset_id="parity")
    frame = db.input.get_df()
    labels = np.asarray(db.input["included"], dtype=object)
    rows = np.asarray(job["rows"], dtype=np.int64)
    frame = frame.iloc[rows].reset_index(drop=True)
    labels = labels[rows]
    texts = [" ".join(part or "" for part in pair)
             for pair in zip(frame["title"], frame["abstract"])]
    orders = {}
    for run in job["runs"]:
        permutation = np.asarray(run["permutation"], dtype=np.int64)
        shuffled = labels[permutation].astype(int)
        # asreview simulate --seed seeds numpy's global generator; its
        # LinearSVC draws liblinear's seed from it.
        np.random.seed(run["seed"])
        cycle = ActiveLearningCycle.from_meta(get_ai_config(job.get("ai", "elas_u4"))["value"])
        simulation = Simulate(frame.iloc[permutation].reset_index(drop=True), shuffled, [cycle],
                              print_progress=False)
        simulation.label(list(run["priors"]))
        simulation.review()
        order = simulation._results["record_id"].to_numpy(dtype=np.int64)
        orders[str(run["seed"])] = permutation[order].tolist()
    json.dump({"asreview_version": __version__,
               "labels": [None if v is None else int(v) for v in labels],
               "texts": texts, "orders": orders}, sys.stdout)


if __name__ == "__main__":
    main()
