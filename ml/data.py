"""Training and validation data for the dual-head model, read with the `datasets` library.

Sources (local JSONL under ../shared/data; see each folder's README):

* aigen: labelled code (0 human, 1 AI) for the classifier head;
* plagiarism: labelled pairs; label-1 pairs are positives for InfoNCE;
* rosetta: solutions of one task (other solution or other language) are positives. Rosetta is a
  pre-2020 snapshot, so it is also human code in languages where the AI data has almost no
  humans: a few rows per such language join the classifier's human examples, so that "not
  Java or Python" stops being a label shortcut.

Only `code` and `language` reach the model: ids and paths give labels away.

A step's batch mixes `batch_size` classification examples with `contrastive_pairs` positive
pairs. "self" pairs reuse a classification example as the anchor and add a rewritten view of it
(ml.augment), so they cost one extra encoder pass instead of two.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ml.augment import LIGHT, augment
from ml.codetext import prepare

T = TypeVar("T")

#: Hub names of the original guide. They are loaded only when asked for (hub_datasets), and
#: fail with a plain message offline.
HUB_DATASETS = {
    "christopher/rosetta-code": "rosetta",
}

# Average prepared tokens per source line, used to pick a window start that still fills the
# window. Measured on the aigen train set with the MiniLM tokenizer (~10-13 for Java/Python).
_TOKENS_PER_LINE = 11.0


class DataError(RuntimeError):
    """A data file is missing or malformed; the message names it."""


@dataclass(frozen=True)
class CodeExample:
    code: str
    language: str
    label: int  # 1 AI, 0 human, -1 unknown (contrastive only)
    source: str = ""
    group: str = ""
    # Out-of-fold file evidence log-odds (ml.evidence), filled in by the trainer.
    evidence: tuple[float, ...] = ()
    # Who wrote the file and which piece of work it is, where the data says (ml.author_baseline
    # compares a file with the same author's other work); never shown to the model.
    author: str = ""
    work: str = ""


@dataclass(frozen=True)
class CodePair:
    a: CodeExample
    b: CodeExample
    kind: str  # plagiarism | rosetta | self
    group: str = ""


@dataclass
class TrainItem:
    """One encoder input: prepared text window, stylometry source, classifier label."""

    code: str
    language: str
    label: int
    style_code: str = ""  # whole (augmented) file the stylometric features describe
    evidence: tuple[float, ...] = ()  # the whole file's evidence log-odds (empty: zeros)


@dataclass
class Batch:
    singles: list[TrainItem]
    pairs_a: list[TrainItem]
    pairs_b: list[TrainItem]
    kinds: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------ loading
def _load_json(path: Path) -> Any:
    """One JSONL file as a `datasets.Dataset` (memory-mapped Arrow; cached by the library)."""
    if not path.is_file():
        raise DataError(f"data file not found: {path} (expected the shared data folder; set data_dir)")
    from datasets import load_dataset

    try:
        return load_dataset("json", data_files=str(path), split="train")
    except Exception as exc:  # datasets raises many types for bad JSON
        raise DataError(f"cannot read {path} as JSON lines: {exc}") from exc


def _require(ds: Any, path: Path, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in ds.column_names]
    if missing:
        raise DataError(f"{path} lacks columns {missing}")


def fixed_sample(rows: list[T], n: int, seed: int) -> list[T]:
    """n rows drawn uniformly without replacement, the same for the same (len(rows), n, seed):
    how a held-out source is sampled in training and re-drawn by benchmarks.eval_calibration."""
    if not n or len(rows) <= n:
        return list(rows)
    return random.Random(seed).sample(rows, n)


def aigen_author(source: str, row_id: str, group: str = "") -> tuple[str, str]:
    """(author, work) of an aigen row where its source's ids name the author (../shared/data/aigen
    README), else ("", ""). gpt-java-gcj: `<author>_<round>_<submission>_<problem>.java`, work = the
    problem (a GPT-4o rewrite shares its original's name, so it is the same work); gpt-java-rewrite:
    `Human Authors/<author>/<path>` or `<generator>/<format>/<author>/<path>`, work = the path."""
    parts = row_id.split("/")
    if source == "gpt-java-gcj" and len(parts) >= 2:
        fields = parts[-1].rsplit(".", 1)[0].split("_")
        if len(fields) >= 4:
            return "_".join(fields[:-3]), group or fields[-1]
    if source == "gpt-java-rewrite" and len(parts) >= 3:
        at = 2 if parts[1] == "Human Authors" else 3
        if len(parts) > at + 1:
            return parts[at], "/".join(parts[at + 1:])
    return "", ""


def load_aigen(
    path: str | Path, exclude_sources: Sequence[str] = (), only_sources: Sequence[str] = ()
) -> list[CodeExample]:
    """Labelled code. Optional columns: source, group, id (authors of the sources whose ids name
    them), author and work (given explicitly, e.g. for `codeguard calibrate` on a course's files)."""
    p = Path(path)
    ds = _load_json(p)
    _require(ds, p, ["code", "language", "label"])
    cols = {c: ds[c] for c in ("code", "language", "label")}
    n = len(ds)
    sources, groups, ids, authors, works = (
        ds[c] if c in ds.column_names else [""] * n for c in ("source", "group", "id", "author", "work")
    )
    out = []
    for code, lang, label, src, grp, rid, author, work in zip(
        cols["code"], cols["language"], cols["label"], sources, groups, ids, authors, works, strict=True
    ):
        if exclude_sources and src in exclude_sources:
            continue
        if only_sources and src not in only_sources:
            continue
        if label not in (0, 1) or not isinstance(code, str) or not code.strip():
            raise DataError(f"{p}: row with label {label!r} or empty code (labels must be 0/1)")
        if not author:
            author, work = aigen_author(src or "", str(rid or ""), grp or "")
        out.append(CodeExample(code, str(lang or "").lower(), int(label), src or "", grp or "",
                               author=str(author or ""), work=str(work or "")))
    return out


def load_plagiarism_pairs(path: str | Path, label: int | None = 1) -> list[tuple[CodePair, int]]:
    """Pairs with their label; `label` filters (None keeps all)."""
    p = Path(path)
    ds = _load_json(p)
    _require(ds, p, ["a", "b", "label"])
    out = []
    groups = ds["group"] if "group" in ds.column_names else [""] * len(ds)
    sources = ds["source"] if "source" in ds.column_names else [""] * len(ds)
    for a, b, lab, grp, src in zip(ds["a"], ds["b"], ds["label"], groups, sources, strict=True):
        if label is not None and lab != label:
            continue
        ea = CodeExample(a["code"], str(a.get("language") or "").lower(), -1, src or "", grp or "")
        eb = CodeExample(b["code"], str(b.get("language") or "").lower(), -1, src or "", grp or "")
        out.append((CodePair(ea, eb, "plagiarism", f"{src}:{grp}"), int(lab)))
    return out


def rosetta_split(task: str, dev_fraction: float = 0.1) -> str:
    """'dev' or 'train' for a Rosetta task, by a stable hash of its name.

    Task-disjoint: the cross-language retrieval evaluation uses the 'dev' tasks, which training
    never sees (neither as pairs nor as human examples).
    """
    h = int(hashlib.sha1(task.encode("utf-8")).hexdigest()[:8], 16)
    return "dev" if (h % 1000) < dev_fraction * 1000 else "train"


def load_rosetta(path: str | Path, split: str | None = "train") -> dict[str, list[CodeExample]]:
    """Solutions grouped by task; `split` keeps only 'train' or 'dev' tasks (None: all)."""
    p = Path(path)
    ds = _load_json(p)
    _require(ds, p, ["task", "language", "code"])
    tasks: dict[str, list[CodeExample]] = defaultdict(list)
    for task, lang, code in zip(ds["task"], ds["language"], ds["code"], strict=True):
        if split is not None and rosetta_split(task) != split:
            continue
        tasks[task].append(CodeExample(code, str(lang).lower(), 0, "rosetta", task))
    return dict(tasks)


def load_hub_dataset(name: str) -> Any:
    """A dataset named in the training guide, from the Hugging Face hub (needs network)."""
    if name not in HUB_DATASETS:
        raise DataError(f"unknown hub dataset {name!r}; known: {', '.join(sorted(HUB_DATASETS))}")
    from datasets import load_dataset

    try:
        return load_dataset(name, split="train")
    except Exception as exc:
        raise DataError(
            f"cannot load {name!r} from the Hugging Face hub ({exc.__class__.__name__}); the hub is not "
            "reachable from this machine. Use the local copies under data_dir instead (the default)."
        ) from exc


def hub_rosetta_tasks(ds: Any) -> dict[str, list[CodeExample]]:
    """christopher/rosetta-code rows (task_name, language_name, code) grouped by task."""
    tasks: dict[str, list[CodeExample]] = defaultdict(list)
    for row in ds:
        task = row.get("task_name") or row.get("task")
        code = row.get("code")
        lang = str(row.get("language_name") or row.get("language") or "").lower()
        if task and code and rosetta_split(task) == "train":
            tasks[task].append(CodeExample(code, lang, 0, "rosetta-hub", task))
    return dict(tasks)


def rosetta_human_examples(
    tasks: dict[str, list[CodeExample]], languages: Sequence[str], per_language: int, seed: int
) -> list[CodeExample]:
    """Up to `per_language` human examples per language, one per task at most, seeded."""
    if per_language <= 0:
        return []
    rng = random.Random(seed)
    by_lang: dict[str, list[CodeExample]] = defaultdict(list)
    for task in sorted(tasks):
        for ex in tasks[task]:
            if ex.language in languages:
                by_lang[ex.language].append(ex)
    out: list[CodeExample] = []
    for lang in sorted(by_lang):
        rows = by_lang[lang]
        rng.shuffle(rows)
        seen: set[str] = set()
        for ex in rows:
            if ex.group in seen:
                continue
            seen.add(ex.group)
            out.append(CodeExample(ex.code, ex.language, 0, "rosetta-human", ex.group))
            if len([e for e in out if e.language == lang]) >= per_language:
                break
    return out


# ------------------------------------------------------------------------------------ windows
def crop_lines(code: str, start_fraction: float, max_length: int) -> str:
    """The code from the line at `start_fraction` of the range that still fills a window.

    Training on random windows of long files matches windowed inference and multiplies the
    distinct text a long file contributes.
    """
    lines = code.split("\n")
    fit = int(max_length / _TOKENS_PER_LINE)
    last_start = max(0, len(lines) - fit)
    start = int(round(start_fraction * last_start))
    return "\n".join(lines[start:])


# ------------------------------------------------------------------------------------ sampler
def sampling_weights(examples: Sequence[CodeExample], alpha: float) -> np.ndarray:
    """Per-example weights so that each (source, label) cell gets mass ~ count**alpha.

    alpha=1 is uniform over examples (the largest source dominates); alpha=0 gives every cell
    equal mass. In between, small sources are heard without being repeated to death.
    """
    cells = Counter((e.source, e.label) for e in examples)
    w = np.array([cells[(e.source, e.label)] ** (alpha - 1.0) for e in examples], dtype=np.float64)
    return w / w.sum()


class MixedBatches:
    """Yields one epoch of `Batch`es: weighted classification examples plus positive pairs."""

    def __init__(
        self,
        examples: Sequence[CodeExample],
        plagiarism_pairs: Sequence[CodePair],
        rosetta_tasks: dict[str, list[CodeExample]],
        *,
        batch_size: int,
        contrastive_pairs: int,
        pair_mix: dict[str, float],
        max_length: int,
        epoch_size: int = 0,
        source_alpha: float = 0.5,
        augment_prob: float = 0.5,
        random_window: bool = True,
        seed: int = 0,
    ) -> None:
        if not examples:
            raise DataError("no classification examples to train on")
        self.examples = list(examples)
        self.plag = list(plagiarism_pairs)
        self.rosetta = {t: v for t, v in rosetta_tasks.items() if len(v) >= 2}
        self.rosetta_names = sorted(self.rosetta)
        self.batch_size = batch_size
        self.contrastive_pairs = contrastive_pairs
        mix = {k: v for k, v in pair_mix.items() if v > 0}
        if not self.plag:
            mix.pop("plagiarism", None)
        if not self.rosetta:
            mix.pop("rosetta", None)
        self.pair_mix = mix
        self.max_length = max_length
        self.epoch_size = epoch_size or len(self.examples)
        self.weights = sampling_weights(self.examples, source_alpha)
        self.augment_prob = augment_prob
        self.random_window = random_window
        self.seed = seed

    def __len__(self) -> int:
        return (self.epoch_size + self.batch_size - 1) // self.batch_size

    def _window(self, ex_code: str, rng: random.Random, frac: float | None = None) -> tuple[str, float]:
        if not self.random_window:
            return ex_code, 0.0
        if frac is None:
            frac = 0.0 if rng.random() < 0.4 else rng.random()
        return crop_lines(ex_code, frac, self.max_length), frac

    def _single(self, ex: CodeExample, rng: random.Random) -> tuple[TrainItem, float]:
        code = ex.code
        if rng.random() < self.augment_prob:
            code = augment(code, ex.language, rng, names=LIGHT, max_ops=1)
        window, frac = self._window(code, rng)
        return TrainItem(window, ex.language, ex.label, style_code=code, evidence=ex.evidence), frac

    def _view(self, ex: CodeExample, rng: random.Random, frac: float | None = None) -> TrainItem:
        code = augment(ex.code, ex.language, rng, max_ops=2)
        window, _ = self._window(code, rng, frac)
        return TrainItem(window, ex.language, -1, style_code=code)

    def epoch(self, epoch: int) -> Iterator[Batch]:
        rng = random.Random(f"{self.seed}:{epoch}")
        nprng = np.random.default_rng([self.seed, epoch])
        n = self.epoch_size
        replace = n > len(self.examples)
        idx = nprng.choice(len(self.examples), size=n, replace=replace, p=self.weights)
        kinds = sorted(self.pair_mix)
        kweights = [self.pair_mix[k] for k in kinds]
        for start in range(0, n, self.batch_size):
            chunk = [self.examples[i] for i in idx[start : start + self.batch_size]]
            singles: list[TrainItem] = []
            fracs: list[float] = []
            for ex in chunk:
                item, frac = self._single(ex, rng)
                singles.append(item)
                fracs.append(frac)
            pairs_a: list[TrainItem] = []
            pairs_b: list[TrainItem] = []
            pkinds: list[str] = []
            if self.contrastive_pairs and kinds:
                drawn = rng.choices(kinds, weights=kweights, k=self.contrastive_pairs)
                used_groups: set[str] = set()
                self_slots = list(range(len(chunk)))
                rng.shuffle(self_slots)
                for kind in drawn:
                    if kind == "self" and self_slots:
                        i = self_slots.pop()
                        # The anchor is singles[i] itself: a view of the same region of the file.
                        pairs_a.append(singles[i])
                        pairs_b.append(self._view(chunk[i], rng, fracs[i]))
                        pkinds.append("self")
                    elif kind == "plagiarism":
                        for _ in range(10):  # avoid two pairs of one task: they'd be false negatives
                            pair = rng.choice(self.plag)
                            if pair.group not in used_groups:
                                break
                        used_groups.add(pair.group)
                        frac = 0.0 if rng.random() < 0.5 else rng.random()
                        pairs_a.append(
                            TrainItem(
                                self._window(pair.a.code, rng, frac)[0], pair.a.language, -1, pair.a.code
                            )
                        )
                        pairs_b.append(
                            TrainItem(
                                self._window(pair.b.code, rng, frac)[0], pair.b.language, -1, pair.b.code
                            )
                        )
                        pkinds.append("plagiarism")
                    elif kind == "rosetta":
                        for _ in range(10):
                            task = rng.choice(self.rosetta_names)
                            if task not in used_groups:
                                break
                        used_groups.add(task)
                        sols = self.rosetta[task]
                        a = rng.choice(sols)
                        others = [s for s in sols if s.language != a.language] or [
                            s for s in sols if s is not a
                        ]
                        b = rng.choice(others)
                        pairs_a.append(TrainItem(a.code, a.language, -1, a.code))
                        pairs_b.append(TrainItem(b.code, b.language, -1, b.code))
                        pkinds.append("rosetta")
            yield Batch(singles, pairs_a, pairs_b, pkinds)


# ---------------------------------------------------------------------------------- encoding
class Encoder:
    """Texts -> model inputs: prepare() layout, tokenize, pad; and stylometric features."""

    def __init__(self, tokenizer: Any, max_length: int, style: bool) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.style = style

    def tokens(self, codes: Sequence[str]) -> dict[str, Any]:
        texts = [prepare(c) for c in codes]
        enc = self.tokenizer(
            texts, truncation=True, max_length=self.max_length, padding=True, return_tensors="pt"
        )
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

    def style_matrix(self, codes: Sequence[str], languages: Sequence[str]) -> np.ndarray | None:
        if not self.style:
            return None
        from ml.stylometry import style_features

        return np.stack([style_features(c, lang) for c, lang in zip(codes, languages, strict=True)]).astype(
            np.float32
        )


def fit_style_scaler(
    examples: Sequence[CodeExample], limit: int = 4000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of the stylometric features over (a sample of) the training examples."""
    from ml.stylometry import style_features

    rng = random.Random(seed)
    sample = list(examples)
    if len(sample) > limit:
        sample = rng.sample(sample, limit)
    X = np.stack([style_features(e.code, e.language) for e in sample]).astype(np.float64)
    X = np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)
    return X.mean(axis=0).astype(np.float32), (X.std(axis=0) + 1e-6).astype(np.float32)


def style_feature_matrix(
    examples: Sequence[CodeExample], augment_prob: float = 0.0, seed: int = 0, progress: bool = False
) -> np.ndarray:
    """Stylometric features of every example; with `augment_prob` a file is first reformatted
    (indentation, blank lines, braces), as the classifier's inputs are during training."""
    from ml.augment import reformat
    from ml.stylometry import style_features

    rng = random.Random(f"style:{seed}")
    rows = []
    it: Any = examples
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(examples, desc="Stylometric features", leave=False)
    for e in it:
        code = reformat(e.code, e.language, rng) if augment_prob and rng.random() < augment_prob else e.code
        rows.append(style_features(code, e.language))
    return np.nan_to_num(np.stack(rows).astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
