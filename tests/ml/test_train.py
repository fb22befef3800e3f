"""End-to-end training on a tiny random encoder and tiny data: artifacts, log lines, resume,
the frozen stage, and the `codeguard train` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from ml.config import config_from_mapping
from ml.model import DualHeadCodeModel
from ml.model_card import write_model_card
from ml.train import Trainer, tpr_at_fpr

JAVA_H = "public class A{} // {i}\nclass B {{\n\tint f(int x) {{\n\t\treturn x*{i};\n\t}}\n}}\n"
PY_AI = 'def compute_value(x):\n    """Return the value."""\n    result = x * {i}\n    return result\n'


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from transformers import BertConfig, BertModel

    from ml.config import PACKAGED_MINILM
    from ml.model import load_tokenizer

    root = tmp_path_factory.mktemp("train")
    tok = load_tokenizer(PACKAGED_MINILM)
    bb = root / "backbone"
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)).save_pretrained(str(bb))
    tok.save_pretrained(str(bb))
    data = root / "data"

    def rows(n: int, offset: int) -> list[dict]:
        out = []
        for i in range(offset, offset + n):
            human = i % 2 == 0
            out.append({"id": f"x/{i}", "code": (JAVA_H if human else PY_AI).replace("{i}", str(i)).replace("{{", "{").replace("}}", "}"),
                        "language": "java" if human else "python", "label": 0 if human else 1,
                        "source": "src-a" if i % 3 else "src-b", "generator": "h" if human else "g", "group": f"g{i}"})
        return out

    _write(data / "aigen" / "train.jsonl", rows(24, 0))
    _write(data / "aigen" / "dev.jsonl", rows(12, 100))
    side = lambda i: {"id": f"p{i}", "code": f"int main() {{ return {i}; }}", "language": "c", "path": "x"}  # noqa: E731
    pairs = [{"id": str(i), "a": side(i), "b": side(i + 1), "label": i % 2, "level": None, "source": "s",
              "group": f"g{i % 3}"} for i in range(8)]
    _write(data / "plagiarism" / "train.jsonl", pairs)
    _write(data / "plagiarism" / "dev.jsonl", pairs)
    ros = [{"task": f"task {t}", "language": lang, "code": f"// task {t}\nprint({t})"}
           for t in range(30) for lang in ("c", "go", "python")]
    _write(data / "rosetta" / "rosetta.jsonl", ros)
    return bb, data


def tiny_cfg(bb: Path, data: Path, out: Path, **kw: object):  # noqa: ANN201
    values = dict(
        model_name=str(bb), data_dir=str(data), output_dir=str(out / "model"), checkpoint_dir=str(out / "ckpt"),
        max_length=32, batch_size=4, eval_batch_size=8, contrastive_pairs=2, train_limit=8, num_epochs=2,
        freeze_epochs=1, embedding_dim=8, classifier_hidden=8, lora_r=2, lora_alpha=4, lora_layers=[0, 1],
        lora_target_modules=["query", "value"], warmup_steps=1, val_pairs_limit=4, rosetta_human_per_language=2,
        learning_rate=0.01, device="cpu", patience=5, seed=1,
    )
    values.update(kw)
    return config_from_mapping(values)


def test_training_writes_a_loadable_model_with_card_and_thresholds(tiny_setup, tmp_path, capsys) -> None:  # noqa: ANN001
    bb, data = tiny_setup
    cfg = tiny_cfg(bb, data, tmp_path)
    result = Trainer(cfg).train()
    out = Path(cfg.output_dir)
    for name in ("config.json", "model.safetensors", "tokenizer_config.json", "training_history.json",
                 "thresholds.json", "README.md"):
        assert (out / name).is_file(), name
    log = capsys.readouterr().out
    assert "Epoch 1/2" in log and "Epoch 2/2" in log
    assert "Train Loss: " in log and ", Contrastive: " in log and ", Classification: " in log
    assert "Val Loss: " in log and "Val ROC-AUC: " in log and "Val Accuracy: " in log
    assert "✓ Best model saved (ROC-AUC: " in log
    hist = json.loads((out / "training_history.json").read_text())
    assert [h["epoch"] for h in hist["epochs"]] == [1, 2]
    assert hist["epochs"][0]["stage"].startswith("heads only")
    assert all(np.isfinite(h["train_loss"]) for h in hist["epochs"])
    assert result["best_epoch"] in (1, 2)
    prior = hist["style_prior"]
    assert 0.0 <= prior["style_prior_dev_roc_auc"] <= 1.0 and prior["style_prior_seconds"] >= 0
    thr = json.loads((out / "thresholds.json").read_text())
    assert thr["scored_with"].startswith("ml.inference")  # calibrated on served (windowed) scores
    assert result["dev_scored_with"] == thr["scored_with"]
    assert thr["levels"]["high"]["threshold"] >= thr["levels"]["medium"]["threshold"]
    card = (out / "README.md").read_text()
    assert "never proof" in card and "ROC-AUC" in card and "measured FPR" in card
    cfg_json = json.loads((out / "config.json").read_text())
    assert cfg_json["backbone"] == str(bb) and cfg_json["style_features"] is True
    # the saved model reproduces the trainer's own predictions
    trainer = Trainer(cfg)
    loaded = DualHeadCodeModel.from_pretrained(out)
    trainer.raw_model.load_state_dict(loaded.state_dict())
    p1, _ = trainer.predict(trainer.data.dev)
    best = hist["epochs"][result["best_epoch"] - 1]
    labels = np.array([e.label for e in trainer.data.dev])
    from ml.train import safe_auc

    assert safe_auc(labels, p1) == pytest.approx(best["val_roc_auc"], abs=1e-6)


def test_held_out_source_stays_out_of_training_selection_and_calibration(tiny_setup, tmp_path) -> None:  # noqa: ANN001
    bb, data = tiny_setup
    cfg = tiny_cfg(bb, data, tmp_path, num_epochs=1, freeze_epochs=1, holdout_sources=["src-b"])
    trainer = Trainer(cfg)
    assert all(e.source != "src-b" for e in trainer.data.train)
    assert all(e.source != "src-b" for e in trainer.data.dev_full)
    # every src-b row, train and dev: 8 of the 24 train rows and 4 of the 12 dev rows
    assert len(trainer.data.heldout) == 12 and {e.source for e in trainer.data.heldout} == {"src-b"}
    result = trainer.train()
    held = result["heldout_served"]
    assert held["sources"] == ["src-b"] and held["files"] == 12 and held["human"] == 6
    assert 0.0 <= held["roc_auc"] <= 1.0 and 0.0 <= held["deployed_fpr"] <= 1.0
    out = Path(cfg.output_dir)
    thr = json.loads((out / "thresholds.json").read_text())
    assert thr["calibrated_on"].endswith("without src-b")
    assert thr["n_human"] + thr["n_ai"] == 8  # the 8 dev rows of the other source
    assert "Held-out sources (src-b: all 12 train and dev files" in (out / "README.md").read_text()


def test_held_out_sample_is_a_fixed_subset_named_in_the_card(tiny_setup, tmp_path) -> None:  # noqa: ANN001
    bb, data = tiny_setup
    cfg = tiny_cfg(bb, data, tmp_path, holdout_sources=["src-b"], holdout_sample=5)
    first, again = Trainer(cfg).data, Trainer(cfg).data
    assert len(first.heldout) == 5 and first.heldout_total == 12
    assert [e.code for e in first.heldout] == [e.code for e in again.heldout]  # same seed, same files
    held = {"sources": ["src-b"], "files": 5, "of_files": 12, "human": 2, "roc_auc": 0.9,
            "tpr_at_1fpr": 0.5, "deployed_fpr": 0.0, "deployed_tpr": 0.5}
    (tmp_path / "card").mkdir()
    card = write_model_card(tmp_path / "card", cfg, [], {"heldout": held}, {"train_examples": 1}, 1.0).read_text()
    assert "src-b: a random 5 of the 12 train and dev files, 2 human" in card


def test_frozen_stage_keeps_adapters_at_their_initial_value(tiny_setup, tmp_path) -> None:  # noqa: ANN001
    bb, data = tiny_setup
    cfg = tiny_cfg(bb, data, tmp_path, num_epochs=1, freeze_epochs=1)
    Trainer(cfg).train()
    w = load_file(str(Path(cfg.output_dir) / "model.safetensors"))
    lora_b = [v for k, v in w.items() if "lora_B" in k]
    assert lora_b and all(torch.count_nonzero(v) == 0 for v in lora_b)  # peft initialises B to zero
    heads = [k for k in w if k.startswith("classifier.")]
    assert heads


def test_resume_continues_from_the_checkpoint(tiny_setup, tmp_path, capsys) -> None:  # noqa: ANN001
    bb, data = tiny_setup
    Trainer(tiny_cfg(bb, data, tmp_path, num_epochs=1, freeze_epochs=0)).train()
    capsys.readouterr()
    cfg = tiny_cfg(bb, data, tmp_path, num_epochs=2, freeze_epochs=0, resume=str(tmp_path / "ckpt"))
    trainer = Trainer(cfg)
    assert trainer.start_epoch == 1 and trainer.global_step == 2
    trainer.train()
    log = capsys.readouterr().out
    assert "Epoch 1/2" not in log and "Epoch 2/2" in log
    hist = json.loads((Path(cfg.output_dir) / "training_history.json").read_text())
    assert [h["epoch"] for h in hist["epochs"]] == [1, 2]
    assert "style_prior_dev_roc_auc" in hist["style_prior"]  # carried over from the first segment
    assert trainer.elapsed_before > 0


def test_file_evidence_is_fitted_out_of_fold_saved_and_reused_while_its_inputs_hold(tiny_setup, tmp_path, capsys) -> None:  # noqa: ANN001
    from ml.evidence import EVIDENCE_FILE, PATHS, FileEvidence
    from ml.inference import CodeDetectorInference

    bb, data = tiny_setup
    cfg = tiny_cfg(bb, data, tmp_path, num_epochs=1, freeze_epochs=0, file_evidence=list(PATHS), evidence_folds=3)
    trainer = Trainer(cfg)
    log = capsys.readouterr().out
    assert "File evidence weights start at" in log and "out-of-fold ROC-AUC" in log
    train_ev = np.array([e.evidence for e in trainer.data.train])
    assert train_ev.shape == (len(trainer.data.train), 2)
    fitted = trainer.evidence
    assert fitted is not None
    in_sample = fitted.matrix([e.code for e in trainer.data.train], [e.language for e in trainer.data.train])
    assert not np.allclose(train_ev, in_sample, atol=1e-3)  # training files carry out-of-fold values
    dev_ev = np.array([e.evidence for e in trainer.data.dev_full])
    np.testing.assert_allclose(
        dev_ev, fitted.matrix([e.code for e in trainer.data.dev_full], [e.language for e in trainer.data.dev_full]),
        atol=1e-5,
    )
    w0 = trainer.raw_model.evidence_head.weight.detach().clone()
    trainer.train()
    out = Path(cfg.output_dir)
    assert (out / EVIDENCE_FILE).is_file()
    assert json.loads((out / "config.json").read_text())["evidence"] == list(PATHS)
    saved = load_file(str(out / "model.safetensors"))["evidence_head.weight"]
    assert not torch.equal(saved, w0)  # the weights trained
    humans = sum(e.label == 0 for e in trainer.data.train + trainer.data.stack)
    assert FileEvidence.load(out, list(PATHS)).reference["files"]["*"] == humans  # what --explain compares with
    assert CodeDetectorInference(out).score(["x = 1\n"], ["python"]).shape == (1,)
    hist = json.loads((out / "training_history.json").read_text())
    assert set(hist["file_evidence"]["initial_weights"]) == set(PATHS)
    assert "char_ngrams" in (out / "README.md").read_text()
    capsys.readouterr()
    resumed = Trainer(tiny_cfg(bb, data, tmp_path, num_epochs=2, freeze_epochs=0, file_evidence=list(PATHS),
                               evidence_folds=3, resume=str(tmp_path / "ckpt")))
    assert "reusing the fitted paths" in capsys.readouterr().out
    np.testing.assert_array_equal(np.array([e.evidence for e in resumed.data.train]), train_ev)
    # A fresh run on the same data reuses the fit too; a change to what it depends on refits.
    again = Trainer(tiny_cfg(bb, data, tmp_path, num_epochs=1, freeze_epochs=0, file_evidence=list(PATHS),
                             evidence_folds=3))
    assert "reusing the fitted paths" in capsys.readouterr().out
    assert again.evidence_report["style_trees_oof_roc_auc"] == trainer.evidence_report["style_trees_oof_roc_auc"]
    Trainer(tiny_cfg(bb, data, tmp_path, num_epochs=1, freeze_epochs=0, file_evidence=list(PATHS), evidence_folds=2))
    assert "reusing the fitted paths" not in capsys.readouterr().out
    # Files weighted by source: a fit of its own (not the unweighted cache), with other values.
    weighted = Trainer(tiny_cfg(bb, data, tmp_path, num_epochs=1, freeze_epochs=0, file_evidence=list(PATHS),
                                evidence_folds=3, evidence_source_alpha=0.0))
    assert "reusing the fitted paths" not in capsys.readouterr().out
    assert not np.allclose(np.array([e.evidence for e in weighted.data.train]), train_ev, atol=1e-3)
    # Edited copies: a fit of its own; each training file keeps one out-of-fold value, and the style
    # reference describes the files as written (the copies are not counted).
    copied = Trainer(tiny_cfg(bb, data, tmp_path, num_epochs=1, freeze_epochs=0, file_evidence=list(PATHS),
                              evidence_folds=3, evidence_edited_copies=True))
    log = capsys.readouterr().out
    assert "reusing the fitted paths" not in log and "an edited copy of each" in log
    assert len(copied.data.train) == len(trainer.data.train) and len(copied.data.train[0].evidence) == 2
    assert copied.evidence.reference["files"]["*"] == humans
    (tmp_path / "card2").mkdir()
    assert "formatting-edited copy" in write_model_card(tmp_path / "card2", copied.cfg, [], {}, {}, 1.0).read_text()
    # The card says how the evidence was weighted, and only when it was.
    assert "file-evidence paths fitted" not in (out / "README.md").read_text()
    (tmp_path / "card").mkdir()
    card = write_model_card(tmp_path / "card", weighted.cfg, [], {}, {"train_examples": 1}, 1.0).read_text()
    assert "file-evidence paths fitted on every file, weighted ~ count^0.0" in card


def test_wandb_missing_is_said_plainly(tiny_setup, tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    import sys

    monkeypatch.setitem(sys.modules, "wandb", None)  # import fails as if not installed
    bb, data = tiny_setup
    Trainer(tiny_cfg(bb, data, tmp_path, num_epochs=1, freeze_epochs=0, use_wandb=True, max_steps=1)).train()
    assert "wandb is not installed" in capsys.readouterr().out


def test_tpr_at_fpr() -> None:
    human = np.linspace(0, 1, 100)
    ai = np.array([0.5, 0.985, 0.995, 2.0])
    scores = np.concatenate([human, ai])
    labels = np.array([0] * 100 + [1] * 4)
    # 1 human of 100 may lie above: the threshold is the 2nd-highest human score (0.9899)
    assert tpr_at_fpr(scores, labels, 0.01) == pytest.approx(0.5)
    assert tpr_at_fpr(scores, labels, 0.0) == pytest.approx(0.25)


def test_cli_train_help_and_usage_errors(tmp_path, capsys) -> None:  # noqa: ANN001
    from bot.cli import main

    with pytest.raises(SystemExit) as e:
        main(["train", "--help"])
    assert e.value.code == 0
    assert "--lambda-contrastive" in capsys.readouterr().out
    assert main(["train", "--config", str(tmp_path / "nope.yaml")]) == 2
    assert "config file not found" in capsys.readouterr().err
    assert main(["train", "--data-dir", str(tmp_path), "--device", "cpu"]) == 2
    assert "data file not found" in capsys.readouterr().err


@pytest.mark.parametrize("use_encoder", [True, False])
def test_stacking_slice_stays_out_of_encoder_training(tiny_setup, tmp_path, use_encoder) -> None:  # noqa: ANN001
    from ml.evidence import PATHS
    from ml.stacking import group_key

    bb, data = tiny_setup
    cfg = tiny_cfg(bb, data, tmp_path, num_epochs=1, freeze_epochs=0, file_evidence=list(PATHS), evidence_folds=3,
                   stack_fraction=0.4, head_mix_encoder=use_encoder)
    trainer = Trainer(cfg)
    stack, train = trainer.data.stack, trainer.data.train
    assert stack and not {e.code for e in stack} & {e.code for e in train}
    assert not {group_key(e) for e in stack} & {group_key(e) for e in train}  # whole groups stay out
    assert {e.code for e in trainer.batches.examples} == {e.code for e in train}
    trainer.train()
    hist = json.loads((Path(cfg.output_dir) / "training_history.json").read_text())
    mix = hist["file_evidence"]["head_mix"]
    assert mix["files"] == len(stack) and mix["encoder_weight"] >= 0.0 and "skipped" not in mix
    card = (Path(cfg.output_dir) / "README.md").read_text()
    assert "Head mix" in card and "The two parts of the served logit" in card
    lo, hi = hist["dev_tpr_at_1fpr_ci95"]
    assert 0.0 <= lo <= hi <= 1.0
    enc, term = hist["dev_encoder_path"], hist["dev_evidence_term"]
    assert 0.0 <= term["roc_auc"] <= 1.0
    if mix["encoder_weight"] > 0:
        assert 0.0 <= enc["roc_auc"] <= 1.0
    else:  # weight 0: the encoder path is one number for every file, and the card says so
        assert set(enc) == {"constant"} and "weight 0 in the head mix" in card
    assert mix["encoder_excluded"] is (not use_encoder)
    if not use_encoder:
        assert mix["encoder_weight"] == 0.0 and "left out of the AI score by the recipe" in card
        from ml.inference import CodeDetectorInference

        det = CodeDetectorInference(cfg.output_dir)
        assert det.encoder_free_bias is not None  # served without an encoder pass


def test_held_out_run_splits_the_served_logit_into_its_two_parts(tiny_setup, tmp_path) -> None:  # noqa: ANN001
    from ml.evidence import PATHS

    bb, data = tiny_setup
    cfg = tiny_cfg(bb, data, tmp_path, num_epochs=1, freeze_epochs=0, file_evidence=list(PATHS), evidence_folds=3,
                   holdout_sources=["src-b"])
    held = Trainer(cfg).train()["heldout_served"]
    for part in ("encoder_path", "evidence_term"):
        assert 0.0 <= held[part]["roc_auc"] <= 1.0 and 0.0 <= held[part]["tpr_at_1fpr"] <= 1.0
    card = (Path(cfg.output_dir) / "README.md").read_text()
    assert "The two parts of the served logit on dev" in card
    assert "The two parts of the served logit on the held-out sources" in card
