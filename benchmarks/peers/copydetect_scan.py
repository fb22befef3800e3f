"""Drive copydetect for the benchmarks (benchmark-only peer, run with scratch/peers/venv/bin/python).

    copydetect_scan.py collection DIR EXT OUT.json [MIN_SIMILARITY]
        every file of DIR with extension EXT is one submission; runs copydetect's own CopyDetector
        (defaults: noise 25, guarantee 25) and writes {"files": n, "pairs": [[a, b, sim, sim_a, sim_b]]}.
    copydetect_scan.py pairs IN.jsonl OUT.jsonl
        IN lines {"id", "language", "a", "b"}; each pair fingerprinted and compared on its own.

copydetect gives two directed scores per pair (share of A's tokens found in B and vice versa); the pair
score reported is their maximum, the containment view a reviewer takes ("most of A is in B").
It lives outside the project venv, so this file must not import anything from the project.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import Path

from copydetect import CodeFingerprint, CopyDetector, compare_files, defaults

EXT = {"java": "java", "c": "c", "cpp": "cpp", "python": "py", "javascript": "js", "go": "go"}


def collection(directory: str, ext: str, out: str, min_sim: float) -> None:
    logging.disable(logging.WARNING)
    det = CopyDetector(
        test_dirs=[directory], ref_dirs=[directory], extensions=[ext], display_t=0.0,
        autoopen=False, silent=True,
    )
    det.run()
    names = [Path(f).name for f in det.test_files]
    ref_index = {f: j for j, f in enumerate(det.ref_files)}
    pairs = []
    mat = det.similarity_matrix
    for i in range(len(det.test_files)):
        for g in det.test_files[i + 1:]:
            j = ref_index[g]
            s_a, s_b = (float(x) for x in mat[i, j])
            if s_a < 0:  # not compared (unreadable file)
                continue
            sim = max(s_a, s_b)
            if sim >= min_sim:
                pairs.append([names[i], Path(g).name, sim, s_a, s_b])
    Path(out).write_text(json.dumps({"files": len(names), "pairs": pairs}))


def pairs(in_path: str, out_path: str) -> None:
    rows = []
    for line in Path(in_path).read_text().splitlines():
        if not line.strip():
            continue
        job = json.loads(line)
        ext = EXT.get(job["language"], "txt")
        fps = [
            CodeFingerprint(f"{side}.{ext}", defaults.NOISE_THRESHOLD, 1, fp=io.StringIO(job[side]))
            for side in ("a", "b")
        ]
        _, (s_a, s_b), _ = compare_files(fps[0], fps[1])
        rows.append(json.dumps({"id": job["id"], "similarity": max(float(s_a), float(s_b))}))
    Path(out_path).write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "collection":
        collection(args[0], args[1], args[2], float(args[3]) if len(args) > 3 else 0.0)
    elif mode == "pairs":
        pairs(args[0], args[1])
    else:
        sys.exit("usage: copydetect_scan.py collection DIR EXT OUT [MIN_SIM] | pairs IN OUT")
