"""`kefu kb import` with bad rows: each reported by line, the good rows imported, no row half-written."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from kefu.knowledge.models import Article, ArticleVersion, KbCategory


def run_import(path):
    out, err = io.StringIO(), io.StringIO()
    call_command("kb", "import", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, rows, name="faq.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_empty_and_duplicate_titles_are_reported_by_line_and_the_rest_imported(db, tmp_path):
    path = write(
        tmp_path,
        [
            {"external_id": "a", "title": "怎么退货", "answer": "在订单里申请售后。"},
            {"external_id": "b", "title": "  ", "answer": "没有标题"},
            {"external_id": "a", "title": "怎么退货（第二遍）", "answer": "另一种说法"},
            {"title": "发票怎么开", "answer": "订单完成后申请。"},
            {"title": "发票怎么开", "answer": "重复的标题，没有 external id"},
            {"title": "发票怎么开", "answer": "English is another article", "language": "en"},
            {"external_id": "c", "title": "FAQ", "answer": "同一个标题，不同的 external id：可以"},
            {"external_id": "d", "title": "FAQ", "answer": "第二篇"},
        ],
    )
    out, err = run_import(path)
    assert "created 5" in out and "errors 3" in out
    lines = err.splitlines()
    assert lines[0].startswith("line 2:") and "title is required" in lines[0]
    assert lines[1] == "line 3: Duplicate external id a: line 1 has it already."
    assert lines[2] == "line 5: Duplicate title without an external id: line 4 has it already."
    assert Article.objects.get(external_id="a").body == "在订单里申请售后。"  # not overwritten by line 3
    assert Article.objects.filter(title="发票怎么开").count() == 2  # zh-hans and en
    assert Article.objects.filter(title="FAQ").count() == 2
    assert not Article.objects.filter(
        body__in=["没有标题", "另一种说法", "重复的标题，没有 external id"]
    ).exists()


def test_duplicate_rows_in_csv_are_reported_too(db, tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text(
        "external_id,title,answer\nx1,优惠券怎么用,结算页选择。\nx1,优惠券怎么用,又一次\n", encoding="utf-8"
    )
    out, err = run_import(path)
    assert "created 1" in out and "errors 1" in out and err.startswith("line 3:")


def _refuse_versions_titled(title: str) -> None:
    """A real database trigger that refuses the version row of one article: the article row is
    written first, so a row imported outside one transaction would be left half-written."""
    table = ArticleVersion._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER refuse_version BEFORE INSERT ON {table} WHEN NEW.title = '{title}' "
                "BEGIN SELECT RAISE(ABORT, 'version refused'); END"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_version() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.title = '{title}' THEN RAISE EXCEPTION 'version refused'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse_version BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_version()"
            )
        else:  # pragma: no cover - kefu runs on SQLite and PostgreSQL only
            pytest.fail(f"no trigger for {connection.vendor}")


def test_a_row_the_database_refuses_leaves_nothing_half_written(db, tmp_path):
    _refuse_versions_titled("会被拒绝的文章")
    path = write(
        tmp_path,
        [
            {
                "external_id": "ok-1",
                "title": "怎么改地址",
                "answer": "发货前可修改。",
                "category": "订单/地址",
            },
            {"external_id": "bad", "title": "会被拒绝的文章", "answer": "正文", "category": "新分类/子分类"},
            {"external_id": "ok-2", "title": "支持哪些支付方式", "answer": "微信、支付宝。"},
        ],
    )
    out, err = run_import(path)
    assert "created 2" in out and "errors 1" in out and err.startswith("line 2:")
    assert not Article.objects.filter(external_id="bad").exists()
    assert not KbCategory.objects.filter(name__in=["新分类", "子分类"]).exists()
    for article in Article.objects.all():
        assert ArticleVersion.objects.filter(article=article).count() == 1
    assert set(Article.objects.values_list("external_id", flat=True)) == {"ok-1", "ok-2"}


def test_import_help_says_what_happens_to_bad_rows(capsys):
    with pytest.raises(SystemExit):
        call_command("kb", "import", "--help")
    text = capsys.readouterr().out
    assert "line N: message" in text and "duplicate" in text and "half-written" in text
