"""`kefu orders import` on 100,000 rows: time, peak memory, re-import, against reading the file alone.

Writes a CSV the way Excel on a Chinese Windows saves it (GB18030, Chinese headers 订单号 / 邮箱 /
金额 / 下单时间 / 客户姓名), 100,000 orders of 20,000 customers over the last year, into a fresh
SQLite data directory under benchmarks/var/orders-import/, then runs the real command twice as a
subprocess (`kefu orders import FILE`; the second run must import nothing) and prints rows per
second, the peak resident memory of each run, and the ratio to the baseline: the same file decoded
and parsed by the csv module alone (the floor any importer pays).

    python benchmarks/orders_import.py              # 100,000 rows
    python benchmarks/orders_import.py --rows 20000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
VAR = HERE / "var" / "orders-import"
KEFU = str(Path(sys.executable).with_name("kefu"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def write_file(path: Path, rows: int, customers: int) -> None:
    rnd = random.Random(1)
    start = datetime(2026, 1, 1)  # noqa: DTZ001 (local wall-clock times, as a shop exports them)
    with path.open("w", encoding="gb18030", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["订单号", "邮箱", "金额", "下单时间", "客户姓名"])
        for n in range(rows):
            c = rnd.randrange(customers)
            name = SURNAMES[c % len(SURNAMES)] + GIVEN[c % len(GIVEN)]
            when = start + timedelta(minutes=rnd.randrange(0, 60 * 24 * 300))
            amount = f"{rnd.lognormvariate(5, 1.2):.2f}"
            writer.writerow(
                [f"YS{n:09d}", f"buyer{c}@example.cn", amount, when.strftime("%Y/%m/%d %H:%M"), name]
            )


def baseline(path: Path) -> float:
    t = time.perf_counter()
    with path.open(encoding="gb18030", newline="") as stream:
        for _row in csv.reader(stream):
            pass
    return time.perf_counter() - t


def run_import(path: Path, env: dict) -> tuple[float, dict, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    done = subprocess.run(
        [KEFU, "orders", "import", str(path), "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, json.loads(done.stdout.strip().splitlines()[-1]), max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    args = parser.parse_args()
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    env = {**os.environ, "KEFU_DATA_DIR": str(VAR), "DJANGO_SETTINGS_MODULE": "kefu.settings"}
    env.pop("KEFU_DATABASE_URL", None)
    subprocess.run([KEFU, "migrate", "-v", "0"], env=env, check=True)
    path = VAR / "orders.csv"
    write_file(path, args.rows, args.customers)
    print(f"file: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB, GB18030, Chinese headers")
    floor = baseline(path)
    print(f"[baseline] decode + csv.reader only: {floor:.2f} s ({args.rows / floor:,.0f} rows/s)")
    first, report, peak1 = run_import(path, env)
    print(f"first import:  {first:.1f} s, {args.rows / first:,.0f} rows/s, peak RSS {peak1:.0f} MB, {report}")
    second, again, peak2 = run_import(path, env)
    print(
        f"re-import:     {second:.1f} s, {args.rows / second:,.0f} rows/s, peak RSS {peak2:.0f} MB, {again}"
    )
    print(f"ratio to baseline: first {first / floor:.0f}×, re-import {second / floor:.0f}×")
    assert report["imported"] == args.rows and again["imported"] == 0 and again["unchanged"] == args.rows


if __name__ == "__main__":
    main()
