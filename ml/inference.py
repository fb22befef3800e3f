"""Serving the dual-head model: AI-risk scores and code embeddings for whole files.

One `CodeDetectorInference` per process (see `get_detector`): loading the encoder costs
seconds, scoring a file milliseconds. Two backends share everything but the forward pass:

- "torch": DualHeadCodeModel on CPU or CUDA (the reference);
- "onnx": an ONNX Runtime session over the graph written by `codeguard export --onnx`
  (int8 by default when present), for CPU workers without a GPU.

Every file goes through ml.codetext.prepare (the form the model was trained on), is split
into overlapping windows of the model's max_length (ml.windows), and each file gets one
embedding (token-weighted mean of its windows, re-normalised) and one AI probability
(ml.windows.aggregate_logits). Risk levels come from the thresholds calibrated on
validation data and saved next to the weights (ml.calibration); scores are evidence for a
human reviewer, never proof.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ml.artifacts import CONFIG_FILE, WEIGHTS_FILE
from ml.author_baseline import shifted_score
from ml.blend import semantic_score
from ml.calibration import load_thresholds, risk_level
from ml.codetext import prepare
from ml.evidence import EvidenceError, FileEvidence
from ml.stylometry import FEATURE_NAMES, style_features
from ml.windows import (
    DEFAULT_AGGREGATION,
    Aggregation,
    aggregate_embeddings,
    aggregate_logits,
    build_windows,
    pad_windows,
)

if TYPE_CHECKING:
    from ml.model import DualHeadCodeModel

log = logging.getLogger(__name__)

Backend = Literal["torch", "onnx"]
ROOT = Path(__file__).resolve().parents[1]
#: The shipped model; CODEGUARD_MODEL_DIR overrides it for workers and the CLI.
DEFAULT_MODEL_DIR = ROOT / "models" / "default"
ONNX_DIR = "onnx"
ONNX_FP32 = "model.onnx"
ONNX_INT8 = "model.int8.onnx"
TORCH_BATCH = 16  # windows per forward pass
ONNX_BATCH = 4
#: Used only by a model that was never calibrated (a fresh test model); said loudly in the output.
UNCALIBRATED_THRESHOLDS = {"high": 0.9, "medium": 0.7}


class InferenceError(RuntimeError):
    """The model cannot be loaded or the input cannot be scored; the message says why."""


def default_model_dir() -> Path:
    env = os.environ.get("CODEGUARD_MODEL_DIR", "").strip()
    return Path(env) if env else DEFAULT_MODEL_DIR


def _read_config(model_dir: Path) -> dict[str, Any]:
    path = model_dir / CONFIG_FILE
    if not path.is_file():
        raise InferenceError(
            f"{model_dir} holds no trained model (no config.json); train one with `codeguard train` "
            "or pass --model DIR"
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _load_tokenizer(model_dir: Path, backbone: str) -> Any:
    from ml.codetext import register_layout_tokens

    if (model_dir / "tokenizer.json").is_file() or (model_dir / "vocab.txt").is_file():
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        # AutoTokenizer peeks at our config.json (model_type codeguard-dual-head) and warns that
        # it is not a transformers model; the tokenizer files themselves are standard.
        level = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            tok = register_layout_tokens(AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True))
        finally:
            hf_logging.set_verbosity(level)
    else:
        from ml.model import load_tokenizer

        tok = load_tokenizer(backbone)
    # We window long files ourselves; silence the "sequence longer than model_max_length" warning.
    tok.model_max_length = 10**9
    return tok


class CodeDetectorInference:
    """AI-risk scores and embeddings for code files, from one loaded model."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        device: str | None = None,
        backend: Backend = "torch",
        *,
        aggregation: Aggregation | None = None,
        max_length: int | None = None,
        batch_size: int | None = None,
        onnx_file: str | Path | None = None,
    ) -> None:
        self.model_dir = Path(model_path) if model_path is not None else default_model_dir()
        if not self.model_dir.is_dir():
            raise InferenceError(f"model directory not found: {self.model_dir}")
        self.config = _read_config(self.model_dir)
        self.backend: Backend = backend
        if batch_size is None:
            # ONNX Runtime int8 on 2 CPU cores ran fastest at batches of 1-4 windows and ~25% slower at 16
            # (benchmarks/throughput.py); PyTorch is flat across batch sizes, and GPUs like larger ones.
            batch_size = ONNX_BATCH if backend == "onnx" else TORCH_BATCH
        self.batch_size = max(1, int(batch_size))
        self.max_length = int(max_length or self.config.get("max_length", 256))
        if not 8 <= self.max_length <= 512:
            raise InferenceError(f"max_length must be in [8, 512], got {self.max_length}")
        self.aggregation: Aggregation = aggregation or self.config.get(
            "window_aggregation", DEFAULT_AGGREGATION
        )
        self.style_names: list[str] = (
            list(self.config.get("style_feature_names") or []) if self.config.get("style_features") else []
        )
        missing = [n for n in self.style_names if n not in FEATURE_NAMES]
        if missing:
            raise InferenceError(
                f"the model expects stylometric features this code does not compute: {missing[:5]}; "
                "ml/stylometry.py changed since it was trained — retrain or restore the features"
            )
        self._style_index = [FEATURE_NAMES.index(n) for n in self.style_names]
        self.evidence_names: list[str] = list(self.config.get("evidence") or [])
        self.evidence: FileEvidence | None = None
        if self.evidence_names:
            try:
                self.evidence = FileEvidence.load(self.model_dir, self.evidence_names)
            except EvidenceError as exc:
                raise InferenceError(str(exc)) from exc
        thresholds = load_thresholds(self.model_dir)
        self.calibrated = thresholds is not None
        if thresholds is None:
            log.warning(
                "model %s has no %s: risk levels use uncalibrated defaults", self.model_dir, "thresholds.json"
            )
            thresholds = dict(UNCALIBRATED_THRESHOLDS)
        self.thresholds: dict[str, Any] = thresholds
        self.model_version = str(self.config.get("model_version") or self.model_dir.name)
        # The head mix may give the encoder path weight 0 (TrainConfig.head_mix_encoder, or a fit that
        # found it pointing the wrong way): the AI score is then bias + w . evidence for every window,
        # and `score` computes it without running the encoder.
        # Read once: the ONNX backend takes its evidence weights from here on every call.
        self._saved_evidence_w: np.ndarray | None = None
        self.encoder_free_bias: float | None = None
        if self.evidence is not None:
            heads = _saved_heads(self.model_dir)
            self.encoder_free_bias = _encoder_free_bias(heads)
            if "evidence_head.weight" in heads:
                self._saved_evidence_w = heads["evidence_head.weight"].ravel()
        self._lock = threading.Lock()
        # An encoder-free model's AI score needs neither the tokenizer nor the encoder (`score`): they
        # load on first use (embeddings, similarity), which spares `codeguard detect` seconds of start.
        # Any other model loads them now, so that a broken model fails at start, not at the first job.
        self._load_lock = threading.Lock()
        self._tokenizer: Any = None
        self._model: DualHeadCodeModel | None = None
        self._device_request = device
        if self.encoder_free_bias is None:
            self._tokenizer = _load_tokenizer(self.model_dir, str(self.config.get("backbone", "")))
        if backend == "torch":
            self._init_torch(device)
        elif backend == "onnx":
            self._init_onnx(onnx_file)
        else:
            raise InferenceError(f"unknown backend {backend!r} (torch or onnx)")

    # ---------------------------------------------------------------------------- backends
    def _init_torch(self, device: str | None) -> None:
        if self.encoder_free_bias is None:
            self._load_model()

    def _load_model(self) -> DualHeadCodeModel:
        import torch

        from ml.model import DualHeadCodeModel, ModelLoadError

        with self._load_lock:
            if self._model is None:
                device = self._device_request
                if device in (None, "auto"):
                    device = "cuda" if torch.cuda.is_available() else "cpu"
                self.device: Any = torch.device(device)
                try:
                    model = DualHeadCodeModel.from_pretrained(self.model_dir, map_location="cpu")
                except ModelLoadError as exc:
                    raise InferenceError(str(exc)) from exc
                self._model = model.to(self.device).eval()
            return self._model

    def load_encoder(self) -> None:
        """Load now what embeddings need (tokenizer, and the PyTorch model on that backend), where an
        encoder-free model would wait for the first call: a worker should fail, or fall back, at
        start rather than in a job."""
        _ = self.tokenizer
        if self.backend == "torch":
            _ = self.model

    @property
    def model(self) -> DualHeadCodeModel:
        """The PyTorch model (torch backend), loaded at start or, for an encoder-free one, on first use."""
        if self.backend != "torch":
            raise InferenceError(f"the {self.backend} backend has no PyTorch model")
        return self._model if self._model is not None else self._load_model()

    @property
    def tokenizer(self) -> Any:
        """The backbone's tokenizer, loaded at start or, for an encoder-free model, on first use."""
        if self._tokenizer is None:
            with self._load_lock:
                if self._tokenizer is None:
                    self._tokenizer = _load_tokenizer(self.model_dir, str(self.config.get("backbone", "")))
        return self._tokenizer

    def _init_onnx(self, onnx_file: str | Path | None) -> None:
        import onnxruntime as ort

        if onnx_file is None:
            d = self.model_dir / ONNX_DIR
            candidates = [d / ONNX_INT8, d / ONNX_FP32]
            found = next((p for p in candidates if p.is_file()), None)
            if found is None:
                raise InferenceError(
                    f"no ONNX model under {d}; run `codeguard export --onnx --int8 --model {self.model_dir}`"
                )
            onnx_file = found
        self.onnx_path = Path(onnx_file)
        if not self.onnx_path.is_file():
            raise InferenceError(f"ONNX file not found: {self.onnx_path}")
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(self.onnx_path), opts, providers=["CPUExecutionProvider"])
        self._onnx_inputs = {i.name for i in self.session.get_inputs()}

    def _forward(
        self, ids: np.ndarray, mask: np.ndarray, style: np.ndarray | None, evidence: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """One padded batch of windows -> (embeddings [B, D], logits [B])."""
        if self.backend == "onnx":
            feeds: dict[str, np.ndarray] = {"input_ids": ids, "attention_mask": mask}
            for name, value in (("style", style), ("evidence", evidence)):
                if name in self._onnx_inputs:
                    if value is None:
                        raise InferenceError(f"the ONNX graph expects {name} features")
                    feeds[name] = value.astype(np.float32)
            emb, logits = self.session.run(["embeddings", "logits"], feeds)
            return np.asarray(emb, dtype=np.float32), np.asarray(logits, dtype=np.float32).reshape(-1)
        import torch

        model = self.model  # loads it (and sets self.device) on an encoder-free model's first pass
        with torch.inference_mode():
            t_ids = torch.from_numpy(ids).to(self.device)
            t_mask = torch.from_numpy(mask).to(self.device)
            t_style = torch.from_numpy(style).to(self.device) if style is not None else None
            t_ev = torch.from_numpy(evidence).to(self.device) if evidence is not None else None
            emb, logits = model(t_ids, t_mask, style=t_style, evidence=t_ev)
            return emb.float().cpu().numpy(), logits.float().cpu().numpy().reshape(-1)

    # ------------------------------------------------------------------------------ core
    def _validate(self, codes: Sequence[str], languages: Sequence[str] | None) -> list[str]:
        if isinstance(codes, str):
            raise TypeError("pass a list of code strings (for one file use detect_ai)")
        langs = list(languages) if languages is not None else [""] * len(codes)
        if len(langs) != len(codes):
            raise ValueError(f"{len(codes)} codes but {len(langs)} languages")
        for i, c in enumerate(codes):
            if not isinstance(c, str):
                raise TypeError(f"code #{i} is {type(c).__name__}, not str")
            if not c.strip():
                raise ValueError(f"code #{i} is empty or whitespace only: nothing to score")
        return [str(lang or "").lower() for lang in langs]

    def windows_of(self, code: str) -> tuple[list[list[int]], list[int]]:
        """The model's input windows of one file (token ids with [CLS]/[SEP]) and their weights."""
        ids = self.tokenizer(prepare(code), add_special_tokens=False)["input_ids"]
        return build_windows(
            ids, self.max_length, int(self.tokenizer.cls_token_id), int(self.tokenizer.sep_token_id)
        )

    def _window_outputs(
        self, codes: Sequence[str], langs: list[str], file_ev: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
        """Embeddings [W, D] and logits [W] of all windows of all files (file order), and weights per file.

        `file_ev`: the files' evidence matrix when the caller has it already (`logit_parts`)."""
        flat: list[tuple[int, list[int]]] = []  # (file index, window ids)
        weights: list[list[int]] = []
        styles: list[np.ndarray | None] = []
        for i, code in enumerate(codes):
            wins, w = self.windows_of(code)
            flat.extend((i, win) for win in wins)
            weights.append(w)
            # Stylometry describes the whole file; every window of it gets the same vector.
            styles.append(style_features(code, langs[i])[self._style_index] if self.style_names else None)
        # File evidence, like stylometry, describes the whole file: one row per file, shared by its windows.
        if file_ev is None and self.evidence is not None:
            file_ev = self.evidence.matrix(codes, langs)
        pad = int(self.tokenizer.pad_token_id or 0)
        # Longest first so padding inside a batch stays small and a memory problem shows at once.
        order = sorted(range(len(flat)), key=lambda k: -len(flat[k][1]))
        n_win = len(flat)
        dim = int(self.config.get("embedding_dim", 256))
        emb_all = np.zeros((n_win, dim), dtype=np.float32)
        logit_all = np.zeros(n_win, dtype=np.float32)
        with self._lock:
            for b in range(0, n_win, self.batch_size):
                idx = order[b : b + self.batch_size]
                ids, mask = pad_windows([flat[k][1] for k in idx], pad)
                style = None
                if self.style_names:
                    style = np.stack([s for k in idx if (s := styles[flat[k][0]]) is not None]).astype(
                        np.float32
                    )
                ev = file_ev[[flat[k][0] for k in idx]] if file_ev is not None else None
                emb, logits = self._forward(ids, mask, style, ev)
                if emb.shape[1] != dim:
                    raise InferenceError(f"model returned {emb.shape[1]}-d embeddings, config says {dim}")
                emb_all[idx] = emb
                logit_all[idx] = logits
        return emb_all, logit_all, weights

    def analyse(
        self, codes: Sequence[str], languages: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(embeddings [N, D] unit norm, AI probabilities [N]) for N files in one pass."""
        langs = self._validate(codes, languages)
        dim = int(self.config.get("embedding_dim", 256))
        out_emb = np.zeros((len(codes), dim), dtype=np.float32)
        out_score = np.zeros(len(codes), dtype=np.float32)
        if not codes:
            return out_emb, out_score
        emb_all, logit_all, weights = self._window_outputs(codes, langs)
        start = 0
        for i, w in enumerate(weights):
            n = len(w)
            out_emb[i] = aggregate_embeddings(emb_all[start : start + n], w)
            out_score[i] = aggregate_logits(logit_all[start : start + n], w, self.aggregation)
            start += n
        return out_emb, out_score

    def window_logits(
        self, codes: Sequence[str], languages: Sequence[str] | None = None
    ) -> list[tuple[np.ndarray, list[int]]]:
        """Per file: the raw logits of its windows and their weights (to compare aggregations)."""
        langs = self._validate(codes, languages)
        if not codes:
            return []
        _, logit_all, weights = self._window_outputs(codes, langs)
        out = []
        start = 0
        for w in weights:
            out.append((logit_all[start : start + len(w)].copy(), w))
            start += len(w)
        return out

    def logit_parts(self, codes: Sequence[str], languages: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(served file logits [N], the file-evidence term w . evidence in them [N]), in one pass.

        Why: the classifier head adds the evidence term to what the encoder path says, and the
        evidence term is the same for every window of a file, so the served logit minus it is the
        encoder path's own share. Training refits the head's mix with it, and the model card and
        benchmarks report how much the trained encoder adds on top of the whole-file readers.
        Without file evidence the term is 0; where the encoder path has weight 0 its share is the
        constant `encoder_free_bias`, exactly (no encoder pass, as in `score`)."""
        langs = self._validate(codes, languages)
        logits = np.zeros(len(codes), dtype=np.float64)
        if not codes:
            return logits, logits.copy()
        file_ev = self.evidence.matrix(codes, langs) if self.evidence is not None else None
        if file_ev is not None and self.encoder_free_bias is not None:
            term = file_ev.astype(np.float64) @ self.evidence_weights()
            return self.encoder_free_bias + term, term
        _, logit_all, weights = self._window_outputs(codes, langs, file_ev)
        start = 0
        for i, w in enumerate(weights):
            p = min(max(aggregate_logits(logit_all[start : start + len(w)], w, self.aggregation), 1e-12), 1 - 1e-12)
            logits[i] = np.log(p) - np.log1p(-p)
            start += len(w)
        term = np.zeros(len(codes), dtype=np.float64)
        if file_ev is not None:
            term = file_ev.astype(np.float64) @ self.evidence_weights()
        return logits, term

    def evidence_weights(self) -> np.ndarray:
        """The head's weight per evidence path (config `evidence` order): the loaded model's for
        PyTorch once loaded, else the saved weights (ONNX's graph does not expose them)."""
        head = getattr(getattr(self, "_model", None), "evidence_head", None)
        if head is not None:
            return head.weight.detach().cpu().double().numpy().ravel()
        if self._saved_evidence_w is not None:
            return self._saved_evidence_w
        return saved_evidence_weights(self.model_dir)

    # --------------------------------------------------------------------------- public
    def score(self, codes: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
        """AI probabilities in [0, 1] for a batch of files.

        Where the encoder path has weight 0 in the head (`encoder_free_bias`), only the file
        evidence is computed: the same probabilities as `analyse`, without an encoder pass."""
        if self.encoder_free_bias is None or self.evidence is None:
            return self.analyse(codes, languages)[1]
        langs = self._validate(codes, languages)
        if not codes:
            return np.zeros(0, dtype=np.float32)
        z = self.encoder_free_bias + self.evidence.matrix(codes, langs).astype(np.float64) @ self.evidence_weights()
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    def explain(
        self, codes: Sequence[str], languages: Sequence[str] | None = None, top: int = 5
    ) -> list[dict[str, Any]]:
        """Why each file got its score (ml/explain.py): {"logit", "encoder_constant", "parts"
        (encoder_path and each evidence path's share; they add up to logit), "style" (the `top`
        style features whose typical-human value would move the score most), "style_reference",
        "lines" (the `top` lines whose characters push it most towards AI)}. Numbers and line
        numbers only, never code."""
        from ml.explain import explain_evidence

        langs = self._validate(codes, languages)
        logits, terms = self.logit_parts(codes, langs)
        weights = self.evidence_weights() if self.evidence is not None else np.zeros(0)
        out = []
        for code, lang, logit, term in zip(codes, langs, logits, terms, strict=True):
            entry: dict[str, Any] = {"logit": float(logit), "encoder_constant": self.encoder_free_bias is not None}
            ev = explain_evidence(self.evidence, weights, code, lang, top) if self.evidence is not None else None
            entry["parts"] = {"encoder_path": float(logit - term), **(ev["parts"] if ev else {})}
            entry.update({k: v for k, v in (ev or {}).items() if k != "parts"})
            out.append(entry)
        return out

    def embed(self, codes: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
        """Unit-norm embeddings [N, D] for a batch of files (similarity = dot product)."""
        return self.analyse(codes, languages)[0]

    def level(self, score: float) -> str:
        return risk_level(float(score), self.thresholds)

    @property
    def relative(self) -> dict[str, Any] | None:
        """The relative score's calibration (alpha and levels; ml.author_baseline), None when the
        model was never calibrated on files whose authors are known."""
        rel = self.thresholds.get("relative")
        return dict(rel) if isinstance(rel, dict) and rel.get("levels") else None

    def relative_score(self, score: float, history_scores: Sequence[float]) -> dict[str, Any]:
        """{"relative_score", "relative_level"} of a file's AI score against the scores of files its
        author certainly wrote: how much more generator-like it is than that person's own code."""
        rel = self.relative
        if rel is None:
            raise InferenceError(
                f"model {self.model_dir} has no relative risk levels: calibrate it on labelled files whose "
                "authors are known (`codeguard calibrate`; rows with author and work)"
            )
        s = shifted_score(float(score), history_scores, float(rel["alpha"]))
        return {"relative_score": s, "relative_level": risk_level(s, rel)}

    def detect_ai(self, code: str, language: str = "", history: Sequence[str] = ()) -> dict[str, Any]:
        """{"ai_score", "is_ai", "risk_level"} for one file; with `history` (code the same author
        certainly wrote, in the same language) also "relative_score" and "relative_level".

        is_ai is True exactly at risk level "high" (the 1%-human-FPR threshold): a yes/no
        answer should only be given where false accusations are rare.
        """
        scores = self.score([code, *history], [language] * (1 + len(history)))
        s = float(scores[0])
        level = self.level(s)
        out: dict[str, Any] = {"ai_score": s, "is_ai": level == "high", "risk_level": level}
        if len(history):
            out.update(self.relative_score(s, [float(h) for h in scores[1:]]))
        return out

    def compute_similarity(self, code1: str, code2: str, language1: str = "", language2: str = "") -> float:
        """Cosine similarity of the two files' embeddings, mapped from [-1, 1] to [0, 1]."""
        emb = self.embed([code1, code2], [language1, language2])
        return semantic_score(emb[0], emb[1])


def _saved_heads(model_dir: str | Path) -> dict[str, np.ndarray]:
    """The saved head tensors (everything outside the backbone) of `model_dir`, as float64."""
    from safetensors import safe_open

    with safe_open(str(Path(model_dir) / WEIGHTS_FILE), framework="np") as fh:
        return {k: np.asarray(fh.get_tensor(k), dtype=np.float64) for k in fh.keys() if not k.startswith("backbone.")}


def saved_evidence_weights(model_dir: str | Path) -> np.ndarray:
    """The classifier head's evidence weights as saved in `model_dir` (float64, config order)."""
    heads = _saved_heads(model_dir)
    if "evidence_head.weight" not in heads:
        raise InferenceError(f"{model_dir} has no file-evidence weights")
    return heads["evidence_head.weight"].ravel()


def saved_encoder_free(model_dir: str | Path) -> bool:
    """Whether the AI score of the model in `model_dir` is its file evidence alone (the head mix gave
    the encoder path weight 0): what a retrained version must keep to be judged by the same rule."""
    heads = _saved_heads(model_dir)
    return "evidence_head.weight" in heads and _encoder_free_bias(heads) is not None


def _encoder_free_bias(heads: dict[str, np.ndarray]) -> float | None:
    """The constant the encoder path adds to the AI logit when the head mix gave it weight 0
    (the last layers of the classifier MLP, and of the style MLP if any, are all zero); None when
    the encoder path moves the score. `heads`: `_saved_heads` of the model folder."""
    bias = 0.0
    for name in ("classifier", "style_head"):
        last = sorted((k for k in heads if k.startswith(name + ".") and k.endswith(".weight")),
                      key=lambda k: int(k.split(".")[1]))
        if not last:
            continue
        if np.any(heads[last[-1]]):
            return None
        bias += float(heads[last[-1][: -len("weight")] + "bias"].sum())
    return bias


_CACHE: dict[tuple[str, str, str], CodeDetectorInference] = {}
_CACHE_LOCK = threading.Lock()


def get_detector(
    model_path: str | Path | None = None, backend: Backend = "torch", device: str | None = None
) -> CodeDetectorInference:
    """The process-wide detector for this model: loaded on first use, then reused."""
    path = Path(model_path) if model_path is not None else default_model_dir()
    key = (str(path.resolve()), backend, device or "auto")
    with _CACHE_LOCK:
        det = _CACHE.get(key)
        if det is None:
            det = CodeDetectorInference(path, device=device, backend=backend)
            _CACHE[key] = det
        return det


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()
