"""The similarity tools the benchmarks compare, behind one small interface.

Each tool scores a whole folder (every top-level entry is one submission, the JPlag/DESIGN.md
convention) and, for the isolated-pair evaluation, a list of pairs one pair at a time. Our engine is
driven through its public contract (`codeguard scan ... --format json`) and, where the in-process API
exists, through `ml.structural`; the peers (copydetect, Dolos) are benchmark-only tools installed into
scratch/peers by benchmarks/setup_peers.sh and run through the small drivers in benchmarks/peers/.
A peer that is not installed reports why (`unavailable`) instead of failing the whole benchmark.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_PEERS = REPO / "scratch" / "peers"

EXTENSIONS = {"java": "java", "c": "c", "cpp": "cpp", "python": "py", "javascript": "js", "go": "go"}


class ToolError(RuntimeError):
    """A tool ran but did not produce a usable result (non-zero exit, timeout, bad output)."""


@dataclass(frozen=True)
class PairJob:
    """One pair scored in isolation: `a` and `b` are program texts of one language."""

    id: str
    language: str
    a: str
    b: str


PairKey = frozenset[str]


def pair_key(a: str, b: str) -> PairKey:
    return frozenset((a, b))


def run_checked(cmd: Sequence[str], timeout: float, env: dict[str, str] | None = None) -> str:
    """Run a tool's command; a failure becomes a ToolError carrying the tail of its stderr."""
    try:
        proc = subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"timed out after {timeout:.0f}s: {' '.join(cmd[:3])} ...") from exc
    if proc.returncode not in (0, 1):  # 1 = "found something over --fail-over" for codeguard
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ToolError(f"exit {proc.returncode}: {' | '.join(tail)}")
    return proc.stdout


class Tool:
    """A similarity tool: `name`, whether it can run here, and its two scoring modes."""

    name = "tool"

    def unavailable(self) -> str | None:
        """None when the tool can run, else a one-line reason (e.g. 'run benchmarks/setup_peers.sh')."""
        return None

    def version(self) -> str:
        return "?"

    def scan_command(self, directory: Path, language: str, out: Path, min_similarity: float) -> list[str]:
        """The exact command that scans `directory` and writes the tool's result to `out`."""
        raise NotImplementedError

    def read_scan(self, out: Path) -> dict[PairKey, float]:
        """Pair scores from the file `scan_command` wrote; pairs a tool leaves out score 0."""
        raise NotImplementedError

    def env(self) -> dict[str, str] | None:
        return None

    def scan_collection(
        self, directory: Path, language: str, min_similarity: float = 0.0, timeout: float = 1800
    ) -> dict[PairKey, float]:
        with tempfile.TemporaryDirectory(prefix=f"cg-{self.name}-") as tmp:
            out = Path(tmp) / "result.json"
            run_checked(self.scan_command(directory, language, out, min_similarity), timeout, self.env())
            if not out.exists():
                raise ToolError(f"{self.name} wrote no result file")
            return self.read_scan(out)

    def score_pairs(self, jobs: Sequence[PairJob], timeout: float = 3600) -> dict[str, float]:
        raise NotImplementedError


# --------------------------------------------------------------------------------------------- ours


def _codeguard_command() -> list[str]:
    exe = Path(sys.executable).with_name("codeguard")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot"]


class Ours(Tool):
    """CodeGuard Nexus. `field` picks the JSON score: `structural` (this engine) or `similarity` (combined)."""

    def __init__(self, field: str = "structural", extra_args: Sequence[str] = ()) -> None:
        self.field = field
        self.extra_args = list(extra_args)
        self.name = "ours" if field == "structural" else f"ours-{field}"
        if self.extra_args:
            self.name += "[" + " ".join(self.extra_args) + "]"

    def unavailable(self, need_cli: bool = True) -> str | None:
        if not need_cli and _structural_api() is not None:
            return None
        if not (REPO / "bot" / "commands" / "scan.py").exists():
            return "bot/commands/scan.py does not exist yet"
        try:
            run_checked([*_codeguard_command(), "scan", "--help"], timeout=120)
        except ToolError as exc:
            return f"`codeguard scan --help` failed: {exc}"
        return None

    def version(self) -> str:
        try:
            from importlib.metadata import version

            return version("codeguard-nexus")
        except Exception:  # noqa: BLE001 - a missing dist only loses the label
            return "?"

    def scan_command(self, directory: Path, language: str, out: Path, min_similarity: float) -> list[str]:
        return [
            *_codeguard_command(), "scan", str(directory), "--format", "json", "--out", str(out),
            "--min-similarity", repr(min_similarity), "--no-model", *self.extra_args,
        ]

    def read_scan(self, out: Path) -> dict[PairKey, float]:
        data = json.loads(out.read_text())
        scores: dict[PairKey, float] = {}
        for p in data["pairs"]:
            value = p.get(self.field)
            if value is None:
                value = p["similarity"]
            scores[pair_key(_strip(p["a"]), _strip(p["b"]))] = float(value)
        return scores

    def score_pairs(self, jobs: Sequence[PairJob], timeout: float = 3600) -> dict[str, float]:
        api = _structural_api()
        if api is not None:
            return {job.id: float(api(job)) for job in jobs}
        # No in-process API: a two-submission folder per pair through the CLI contract.
        scores: dict[str, float] = {}
        for job in jobs:
            with tempfile.TemporaryDirectory(prefix="cg-pair-") as tmp:
                folder = Path(tmp) / "subs"
                folder.mkdir()
                ext = EXTENSIONS.get(job.language, "txt")
                (folder / f"a.{ext}").write_text(job.a)
                (folder / f"b.{ext}").write_text(job.b)
                got = self.scan_collection(folder, job.language, 0.0, timeout)
                scores[job.id] = got.get(pair_key("a", "b"), 0.0)
        return scores


def _strip(name: str) -> str:
    """Submission names as written by a tool -> our file stem (`s0001.java` -> `s0001`)."""
    base = os.path.basename(name.rstrip("/"))
    return base.split(".", 1)[0]


def _structural_api() -> Callable[[PairJob], float] | None:
    """`ml.structural.compare` on the two submissions alone: a pair score free of collection
    statistics (with two submissions the max-share cut cannot fire). None if the API is missing."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    try:
        from ml import structural
        from ml.submission import SourceFile, Submission
    except ImportError:
        return None
    compare = getattr(structural, "compare", None)
    if compare is None:
        return None

    def score(job: PairJob) -> float:
        ext = EXTENSIONS.get(job.language, "txt")
        subs = [
            Submission(name=side, files=[SourceFile(path=f"{side}.{ext}", language=job.language, text=text)])
            for side, text in (("a", job.a), ("b", job.b))
        ]
        matches = compare(subs, min_similarity=0.0)
        return float(matches[0].structural) if matches else 0.0

    return score


# -------------------------------------------------------------------------------------------- peers


class CopyDetect(Tool):
    name = "copydetect"

    def __init__(self, peers: Path = DEFAULT_PEERS) -> None:
        self.python = peers / "venv" / "bin" / "python"
        self.driver = BENCH_DIR / "peers" / "copydetect_scan.py"

    def unavailable(self) -> str | None:
        if not self.python.exists():
            return f"no {self.python} (run benchmarks/setup_peers.sh)"
        probe = subprocess.run([str(self.python), "-c", "import copydetect"], capture_output=True)
        return None if probe.returncode == 0 else "copydetect not importable (run benchmarks/setup_peers.sh)"

    def version(self) -> str:
        out = subprocess.run(
            [str(self.python), "-c", "import copydetect; print(copydetect.__version__)"],
            capture_output=True, text=True,
        )
        return out.stdout.strip() or "?"

    def scan_command(self, directory: Path, language: str, out: Path, min_similarity: float) -> list[str]:
        ext = EXTENSIONS.get(language, "txt")
        return [str(self.python), str(self.driver), "collection", str(directory), ext, str(out), repr(min_similarity)]

    def read_scan(self, out: Path) -> dict[PairKey, float]:
        data = json.loads(out.read_text())
        return {pair_key(_strip(a), _strip(b)): float(s) for a, b, s, *_ in data["pairs"]}

    def score_pairs(self, jobs: Sequence[PairJob], timeout: float = 3600) -> dict[str, float]:
        return _pairs_via_driver([str(self.python), str(self.driver), "pairs"], jobs, timeout, None)


class Dolos(Tool):
    name = "dolos"

    def __init__(self, peers: Path = DEFAULT_PEERS) -> None:
        self.dir = peers / "dolos"
        self.driver = BENCH_DIR / "peers" / "dolos_scan.mjs"

    def unavailable(self) -> str | None:
        if shutil.which("node") is None:
            return "node is not installed"
        lib = self.dir / "node_modules" / "@dodona" / "dolos-lib"
        if not lib.exists():
            return f"no {lib} (run benchmarks/setup_peers.sh)"
        native = self.dir / "node_modules" / "@dodona" / "dolos-parsers" / "build" / "Release"
        if not any(native.glob("*java*.node")):
            return "Dolos parsers not built (npm install-scripts approve ...; npm rebuild: see setup_peers.sh)"
        return None

    def version(self) -> str:
        pkg = self.dir / "node_modules" / "@dodona" / "dolos-lib" / "package.json"
        return json.loads(pkg.read_text())["version"] if pkg.exists() else "?"

    def env(self) -> dict[str, str]:
        return {**os.environ, "DOLOS_DIR": str(self.dir)}

    def scan_command(self, directory: Path, language: str, out: Path, min_similarity: float) -> list[str]:
        return ["node", str(self.driver), "collection", str(directory), language, str(out), repr(min_similarity)]

    def read_scan(self, out: Path) -> dict[PairKey, float]:
        data = json.loads(out.read_text())
        return {pair_key(_strip(a), _strip(b)): float(s) for a, b, s in data["pairs"]}

    def score_pairs(self, jobs: Sequence[PairJob], timeout: float = 3600) -> dict[str, float]:
        return _pairs_via_driver(["node", str(self.driver), "pairs"], jobs, timeout, self.env())


def _pairs_via_driver(
    cmd: list[str], jobs: Sequence[PairJob], timeout: float, env: dict[str, str] | None
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="cg-pairs-") as tmp:
        src, dst = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        src.write_text(
            "".join(
                json.dumps({"id": j.id, "language": j.language, "a": j.a, "b": j.b}) + "\n" for j in jobs
            )
        )
        run_checked([*cmd, str(src), str(dst)], timeout, env)
        rows = [json.loads(line) for line in dst.read_text().splitlines() if line.strip()]
    return {r["id"]: float(r["similarity"]) for r in rows}


def all_tools(peers: Path = DEFAULT_PEERS) -> dict[str, Tool]:
    tools: list[Tool] = [Ours(), CopyDetect(peers), Dolos(peers)]
    return {t.name: t for t in tools}
