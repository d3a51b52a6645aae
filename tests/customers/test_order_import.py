"""`kefu orders import FILE`: CSV (UTF-8, GBK) and XLSX, column mapping, bad rows by line, re-import."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from kefu.customers.models import Customer, Order, Tier

pytestmark = pytest.mark.django_db


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("orders", "import", str(path), "--no-progress", *args, stdout=out, stderr=err)
    lines = out.getvalue().strip().splitlines()
    return json.loads(lines[-1]), err.getvalue()


def write(tmp_path, text, *, encoding="utf-8", name="orders.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


GOOD = (
    "order_id,customer_email,amount,ordered_at,customer_name,phone,currency\n"
    "A-1,xiaoming@example.cn,1200.50,2026-05-01 12:00,张小明,,CNY\n"
    'A-2,new.buyer@example.com,"8,800.00",2026/05/02,王芳,138-0013-8000,\n'
    "A-3,XiaoMing@Example.cn,99,2026-06-01T08:30:00+08:00,,,USD\n"
)


def test_a_file_imports_once_and_again_changes_nothing(tmp_path, customer_x):
    path = write(tmp_path, GOOD)
    report, err = run(path)
    assert report == {"imported": 3, "updated": 0, "unchanged": 0, "rejected": 0, "customers_created": 1}
    assert err == ""
    assert customer_x.orders.count() == 2  # the address in another case is the same customer
    buyer = Customer.objects.get(email="new.buyer@example.com")
    assert (buyer.name, buyer.phone) == ("王芳", "13800138000")
    assert Order.objects.get(order_id="A-2").amount == Decimal("8800.00")
    again, _ = run(path)
    assert again["imported"] == 0 and again["unchanged"] == 3 and again["rejected"] == 0
    assert Order.objects.count() == 3 and Customer.objects.filter(email="new.buyer@example.com").count() == 1


def test_a_corrected_amount_updates_the_order(tmp_path, customer_x):
    run(write(tmp_path, GOOD))
    report, _ = run(write(tmp_path, GOOD.replace("1200.50", "1300.00"), name="fixed.csv"))
    assert (report["imported"], report["updated"], report["unchanged"]) == (0, 1, 2)
    assert Order.objects.get(order_id="A-1").amount == Decimal("1300.00")


def test_bad_rows_are_rejected_by_line_and_the_others_imported(tmp_path, customer_x):
    text = (
        "order_id,customer_email,amount,ordered_at\n"
        "B-1,xiaoming@example.cn,12x,2026-05-01\n"  # line 2: bad number
        "B-2,xiaoming@example.cn,-5,2026-05-01\n"  # line 3: negative
        "B-3,xiaoming@example.cn,10,yesterday\n"  # line 4: bad date
        "B-4,,10,2026-05-01\n"  # line 5: no email, no phone: unknown customer
        "B-5,not-an-address,10,2026-05-01\n"  # line 6: bad email
        "B-6,xiaoming@example.cn,10,2026-05-01\n"  # line 7: good
        "B-6,xiaoming@example.cn,11,2026-05-02\n"  # line 8: duplicate id in the file
        ",xiaoming@example.cn,10,2026-05-01\n"  # line 9: no order id
        "B-7,xiaoming@example.cn,NaN,2026-05-01\n"  # line 10: not a finite number
    )
    report, err = run(write(tmp_path, text))
    assert (report["imported"], report["rejected"]) == (1, 8)
    lines = err.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [f"line {n}" for n in (2, 3, 4, 5, 6, 8, 9, 10)]
    assert "amount" in lines[0] and "12x" in lines[0]
    assert "ordered_at" in lines[2]
    assert "customer_email" in lines[3]
    assert "repeats line 7" in lines[5]
    assert list(Order.objects.values_list("order_id", "amount")) == [("B-6", Decimal("10.00"))]


def test_a_row_without_email_finds_its_customer_by_phone(tmp_path, customer_x):
    customer_x.phone = "13900139000"
    customer_x.save()
    text = "order_id,customer_email,amount,ordered_at,phone\nC-1,,10,2026-05-01,139 0013 9000\n"
    report, _ = run(write(tmp_path, text))
    assert report["imported"] == 1 and customer_x.orders.count() == 1


def test_missing_columns_refuse_the_whole_file(tmp_path):
    path = write(tmp_path, "order_id,email,total\nA,a@b.cn,1\n")
    with pytest.raises(CommandError, match="Missing columns: ordered_at"):
        run(path)
    assert Order.objects.count() == 0


def test_chinese_headers_in_a_gbk_excel_export(tmp_path, customer_x):
    text = "订单号,邮箱,金额,下单时间,客户姓名\r\nG-1,xiaoming@example.cn,￥1200,2026-05-01 10:00,张小明\r\nG-2,li@example.cn,50元,2026年05月03日,李雷\r\n"
    report, err = run(write(tmp_path, text, encoding="gbk"))
    assert report["imported"] == 2, err
    assert Customer.objects.get(email="li@example.cn").name == "李雷"
    assert Order.objects.get(order_id="G-1").amount == Decimal("1200.00")


def test_utf8_with_bom_and_a_mapping_for_other_headers(tmp_path, customer_x):
    text = "单据,买家,实付,时间\nM-1,xiaoming@example.cn,10,2026-05-01\n"
    path = write(tmp_path, text, encoding="utf-8-sig")
    with pytest.raises(CommandError, match="Missing columns"):
        run(path)
    report, _ = run(
        path,
        "--map",
        "order_id=单据",
        "--map",
        "customer_email=买家",
        "--map",
        "amount=实付",
        "--map",
        "ordered_at=时间",
    )
    assert report["imported"] == 1


def test_a_file_in_an_unreadable_encoding_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(b"order_id,customer_email,amount,ordered_at\n" + bytes(range(128, 256)) * 20)
    with pytest.raises(CommandError):
        run(path)
    assert Order.objects.count() == 0


def test_xlsx_with_dates_and_numbers_as_cells(tmp_path, customer_x):
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(["订单号", "邮箱", "金额", "下单时间", "币种"])
    sheet.append([10001, "xiaoming@example.cn", 1500.5, datetime(2026, 5, 1, 9, 30), "cny"])
    sheet.append(["X-2", "xiaoming@example.cn", "abc", datetime(2026, 5, 2), None])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    report, err = run(path)
    assert (report["imported"], report["rejected"]) == (1, 1)
    assert err.startswith("line 3:")
    order = Order.objects.get()
    assert (order.order_id, order.amount, order.currency) == ("10001", Decimal("1500.50"), "CNY")
    assert order.ordered_at.isoformat() == "2026-05-01T01:30:00+00:00"  # 09:30 in Shanghai


@pytest.mark.now("2026-06-10 10:00")
def test_an_import_recomputes_tiers(tmp_path, customer_x):
    text = "order_id,customer_email,amount,ordered_at\nT-1,xiaoming@example.cn,60000,2026-03-01\n"
    run(write(tmp_path, text))
    customer_x.refresh_from_db()
    assert customer_x.tier == Tier.PREMIUM_VIP
    out = io.StringIO()
    call_command("customers", "show", "xiaoming@example.cn", "--json", stdout=out)
    shown = json.loads(out.getvalue())
    assert (shown["tier"], shown["spend_12m"], shown["orders_12m"]) == ("premium_vip", "60000.00", 1)


def test_a_long_gbk_export_that_is_mostly_ascii_is_still_read_as_gbk(tmp_path, customer_x):
    """charset-normalizer alone reads such a file as a Cyrillic code page (ISO 8859-5)."""
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英",
    )
    lines = ["订单号,邮箱,金额,下单时间,客户姓名"]
    lines += [
        f"YS{n:09d},buyer{n * 7 % 400}@example.cn,{n % 900 + 0.5:.2f},2026/05/{n % 28 + 1:02d} 10:{n % 60:02d},"
        f"{surnames[n % 20]}{given[n % 23]}"
        for n in range(5000)
    ]
    report, err = run(write(tmp_path, "\r\n".join(lines) + "\r\n", encoding="gbk"))
    assert report["imported"] == 5000 and report["rejected"] == 0, err
    assert Customer.objects.get(email="buyer7@example.cn").name == "李芳"
