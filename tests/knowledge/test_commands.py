import io
import json

from django.core.management import call_command

from kefu.knowledge.models import Article, ArticleVersion

ROWS = [
    {
        "external_id": "faq-1",
        "title": "怎么修改收货地址",
        "answer": "发货前可在订单详情里修改地址。",
        "questions": ["地址填错了", "改地址"],
        "category": "订单/地址",
        "language": "zh-hans",
    },
    {
        "external_id": "faq-2",
        "title": "支持哪些支付方式",
        "answer": "支持微信、支付宝和银行卡。",
        "questions": ["能用花呗吗"],
        "category": "支付",
        "language": "zh-hans",
    },
    {
        "external_id": "faq-3",
        "title": "How do I reset my password?",
        "answer": "Use 'Forgot password' on the login page.",
        "questions": ["forgot password"],
        "category": "Account",
        "language": "en",
    },
]


def run(*args, stdin=None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command("kb", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_jsonl_reports_bad_rows_by_line_and_keeps_good_ones(db, tmp_path):
    lines = [
        json.dumps(ROWS[0], ensure_ascii=False),
        "{not json",
        json.dumps({"external_id": "x", "answer": "no title"}),
        json.dumps(ROWS[1], ensure_ascii=False),
        json.dumps({"title": "bad lang", "answer": "a", "language": "xx"}),
        "",
        json.dumps([1, 2]),
        json.dumps(ROWS[2]),
    ]
    path = tmp_path / "faq.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    out, err = run("import", str(path))
    assert "created 3" in out and "errors 4" in out
    assert "line 2:" in err and "line 3:" in err and "line 5:" in err and "line 7:" in err
    assert Article.objects.filter(status="published").count() == 3
    article = Article.objects.get(external_id="faq-1")
    assert article.category.name == "地址" and article.category.parent.name == "订单"
    assert article.questions == ["地址填错了", "改地址"]


def test_reimport_updates_by_external_id(db, tmp_path):
    path = tmp_path / "faq.jsonl"
    path.write_text(json.dumps(ROWS[0], ensure_ascii=False), encoding="utf-8")
    run("import", str(path))
    out, _ = run("import", str(path))
    assert "unchanged 1" in out
    changed = dict(ROWS[0], answer="发货前后都可以联系客服修改地址。")
    path.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    out, _ = run("import", str(path))
    assert "updated 1" in out
    article = Article.objects.get(external_id="faq-1")
    assert Article.objects.count() == 1 and "发货前后" in article.body
    assert ArticleVersion.objects.filter(article=article).count() == 2


def test_import_csv_and_markdown_folder(db, tmp_path):
    csv_path = tmp_path / "faq.csv"
    csv_path.write_text(
        "external_id,title,answer,questions,category,language\n"
        "c1,优惠券怎么用,下单时在结算页选择优惠券。,优惠券在哪;怎么用券,优惠,zh-hans\n"
        "c2,,没有标题,,,zh-hans\n",
        encoding="utf-8",
    )
    out, err = run("import", str(csv_path))
    assert "created 1" in out and "line 3:" in err
    assert Article.objects.get(external_id="c1").questions == ["优惠券在哪", "怎么用券"]

    folder = tmp_path / "md"
    folder.mkdir()
    (folder / "invoice.md").write_text(
        "---\ntitle: 发票怎么开\nquestions: [开发票, 要发票]\ncategory: 发票\n---\n订单完成后在**订单详情**申请发票。",
        encoding="utf-8",
    )
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\nx", encoding="utf-8")
    out, err = run("import", str(folder))
    assert "created 1" in out and "errors 1" in out and "broken.md" in err
    assert Article.objects.get(external_id="invoice").questions == ["开发票", "要发票"]


def test_export_round_trips(kb, tmp_path):
    out, _ = run("export")
    rows = [json.loads(line) for line in out.splitlines()]
    assert {r["external_id"] for r in rows} >= {"refund-time", "internal-comp"}
    refund = next(r for r in rows if r["external_id"] == "refund-time")
    assert refund["category"] == "售后/退款" and refund["questions"]


def test_ask_prints_answer_confidence_and_decision(kb):
    out, _ = run("ask", "退款几天能到账")
    assert "decision: answer" in out and "confidence:" in out and "退款多久到账" in out


def test_ask_stdin_writes_one_json_line_per_question(kb, monkeypatch):
    out, _ = run("ask", stdin="怎么开发票\n\n转人工\n快递到哪了\n", monkeypatch=monkeypatch)
    lines = [json.loads(line) for line in out.splitlines()]
    assert [x["question"] for x in lines] == ["怎么开发票", "", "转人工", "快递到哪了"]
    assert lines[0]["articles"][0]["external_id"] == "invoice"
    assert set(lines[0]["articles"][0]) == {"id", "external_id", "title", "score"}
    assert lines[1]["decision"] == "handoff" and lines[2]["decision"] == "handoff"


def test_import_survives_values_the_database_refuses(db, tmp_path):
    rows = [
        {"external_id": "n1", "title": "含\u0000空字符的标题", "answer": "回答\u0000"},
        {"external_id": "n2", "title": "长" * 400, "answer": "a"},
        {"external_id": "n3", "title": "正常", "answer": "好", "questions": "问一;问二"},
    ]
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out, err = run("import", str(path))
    assert "created 2" in out and "line 2:" in err
    assert Article.objects.get(external_id="n1").title == "含空字符的标题"
    assert Article.objects.get(external_id="n3").questions == ["问一", "问二"]
