"""`kefu triage train|predict|eval|history`: the triage classifier from the command line."""

from __future__ import annotations

import json
import sys
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kefu.core.errors import DomainError
from kefu.routing.models import TriageModel
from kefu.routing.services import training


class Command(BaseCommand):
    help = "Triage classifier: train from a CSV (text,label) or the ticket history, predict, evaluate."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="train a model for a field; it becomes the active one")
        train.add_argument("--from", dest="source", help="CSV file with the columns text,label")
        train.add_argument("--history", action="store_true", help="train from this install's tickets")
        train.add_argument("--field", required=True, help="department, category, type, priority, team, …")
        train.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
        train.add_argument(
            "--no-encoder",
            action="store_true",
            help="TF-IDF only, without the sentence encoder: about a point less accurate, faster to predict",
        )
        train.add_argument("--no-progress", action="store_true")
        predict = sub.add_parser("predict", help="one text per stdin line → one JSON line each")
        predict.add_argument("--field", required=True)
        evaluate = sub.add_parser("eval", help="accuracy, macro-F1 and per-class table on a test CSV")
        evaluate.add_argument("--test", required=True, help="CSV file with the columns text,label")
        evaluate.add_argument("--field", help="default: the only active model")

    def handle(self, *args, **opts):
        try:
            getattr(self, f"_{opts['action']}")(opts)
        except DomainError as err:
            raise CommandError(err.message) from None

    def _train(self, opts):
        field = opts["field"]
        if bool(opts["source"]) == bool(opts["history"]):
            raise CommandError("Give either --from FILE.csv or --history.")
        data = training.history(field) if opts["history"] else training.read_file(opts["source"])
        training.check(data.texts, data.labels)
        show = not opts["no_progress"] and opts["verbosity"] > 0
        folds = max(2, min(opts["folds"], min(Counter(data.labels).values())))
        with tqdm(total=folds + 1, desc=f"training {field}", disable=not show, file=sys.stderr) as bar:
            model = training.train(
                field=field,
                texts=data.texts,
                labels=data.labels,
                source=data.source,
                folds=opts["folds"],
                progress=bar.update,
                encoder=not opts["no_encoder"],
            )
        m = model.metrics
        self.stdout.write(
            f"{field} v{model.version}: {model.rows} rows, {len(m['classes'])} classes; "
            f"{m['folds']}-fold cross-validated accuracy {m['accuracy']:.1%}, macro-F1 {m['macro_f1']:.1%}"
            + (f", right label in the top 3 {m['top3_accuracy']:.1%}" if "top3_accuracy" in m else "")
            + ". "
            "Now the active model."
        )

    def _predict(self, opts):
        lines = [line.rstrip("\r\n") for line in sys.stdin]
        _model, results = training.predict(field=opts["field"], texts=lines)
        for label, probability in results:
            self.stdout.write(
                json.dumps({"label": label or None, "probability": round(probability, 4)}, ensure_ascii=False)
            )

    def _eval(self, opts):
        field = opts["field"]
        if not field:
            fields = list(TriageModel.objects.filter(is_active=True).values_list("field", flat=True))
            if len(fields) != 1:
                raise CommandError(
                    "Give --field: active models exist for " + (", ".join(sorted(fields)) or "no field")
                )
            field = fields[0]
        data = training.read_file(opts["test"])
        if any(not t for t in data.texts):
            raise CommandError("The test file has empty texts.")
        result = training.evaluate(field=field, texts=data.texts, labels=data.labels)
        self.stdout.write(
            f"{field}: {result['n']} rows; accuracy {result['accuracy']:.1%}, macro-F1 {result['macro_f1']:.1%}"
        )
        width = max([len("label"), *(len(k) for k in result["per_class"])])
        self.stdout.write(f"{'label':<{width}}  {'n':>5}  {'accuracy':>8}  {'precision':>9}  {'F1':>6}")
        for label, row in result["per_class"].items():
            self.stdout.write(
                f"{label:<{width}}  {row['n']:>5}  {row['accuracy']:>8.1%}  {row['precision']:>9.1%}  "
                f"{row['f1']:>6.1%}"
            )
