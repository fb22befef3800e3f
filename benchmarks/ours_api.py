"""In-process driver for benchmarks/scale.py's `ours-api` row: the engine without the CLI around it.

    ours_api.py DIR OUT.json MIN_SIMILARITY

Reads every top-level file of DIR as one Java submission, runs `bot.analysis.analyze` (the pipeline
`codeguard scan` calls: fingerprint, index, score, fragments for the reported pairs; falls back to
`ml.structural.compare` where bot/analysis.py is absent) and writes {"pairs": [[a, b, score]],
"api_s": seconds spent inside the call}. The difference between its wall time and `codeguard scan`'s
is the CLI's own overhead (argument parsing, folder loading, JSON report).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml.submission import PairMatch, SourceFile, Submission  # noqa: E402


def run(subs: list[Submission], min_sim: float) -> list[PairMatch]:
    try:
        from bot.analysis import AnalysisOptions, analyze
    except ImportError:
        from ml.structural import compare

        return compare(subs, min_similarity=min_sim)
    return analyze(subs, options=AnalysisOptions(min_similarity=min_sim)).pairs


def main() -> None:
    folder, out, min_sim = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    subs = [
        Submission(name=p.name, files=[SourceFile(path=p.name, language="java", text=p.read_text())])
        for p in sorted(folder.iterdir())
        if p.is_file()
    ]
    t0 = time.perf_counter()
    matches = run(subs, min_sim)
    api_s = time.perf_counter() - t0
    out.write_text(json.dumps({"pairs": [[m.a, m.b, m.structural] for m in matches], "api_s": api_s}))


if __name__ == "__main__":
    main()
