"""Ticket search in everyday Chinese: recall@10 and MRR of the agent search, new against previous.

    python benchmarks/ticket_search_eval.py                  # demo data + 3,000 seeded tickets
    python benchmarks/ticket_search_eval.py --tickets 10000 --show 20

Data: a data folder of its own (SQLite, benchmarks/var/ticket-search-eval, reused by later runs)
migrated and filled with `kefu demo` (the demo company's ~500 tickets, written through the services)
and `kefu seed --tickets N` (templated tickets of the same scenarios). Every query runs through
`tickets.selectors.search_tickets` — the function behind the agent search page /agent/search/ and
GET /api/tickets/search — as the demo's agent 李娜 (售后服务) when she can see a relevant ticket,
otherwise as the supervisor 赵敏, on the index as kefu writes it.

Queries (each with the tickets an agent expects):
- hand-written: everyday questions in Simplified and Traditional (退款没到账, 快遞到哪了, 发票开错了,
  想退货 运费谁出…), grouped by intent; relevant = the tickets whose text (subject, messages, notes)
  says that thing, by a hand-written pattern over the raw text (never over search tokens);
- generated: clauses of the demo's conversation scripts (ops/demo_content.py) retold the way a
  customer or agent types them (seeded: a filler before or after, a word left out, the halves
  swapped, half of them in Traditional script); relevant = the tickets containing that clause.

Metrics per query: recall@10 = relevant hits in the top 10 / min(10, relevant tickets); reciprocal
rank of the first relevant hit (0 beyond the page of 50); whether the page is empty. Averaged per
group. Baseline ("previous"): the previous query semantics — every character bigram of the query
must match (kefu.core.text.query_terms and tickets.search.parse at commit 1ed5176, frozen below in
`legacy_parse`) — run in the same process through the same search_tickets on the same index by
swapping `tickets.search.parse`; its English words are stemmed as the index now stores them, so it
is credited with what it matched before.
"""

# ruff: noqa: E402  (the path fix below must run before the other imports)
from __future__ import annotations

import sys

# benchmarks/queue.py would shadow the stdlib's queue: drop this folder from the path.
sys.path[:] = [p for p in sys.path if p not in ("", __file__.rpartition("/")[0])]

import argparse
import os
import random
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "benchmarks" / "var" / "ticket-search-eval"

# --------------------------------------------------------------------------- hand-written queries
# intent: (pattern over a ticket's raw text that makes it relevant, everyday phrasings)
INTENTS: dict[str, tuple[str, list[str]]] = {
    "refund not arrived": (
        r"没收到退款|退款还是没到账|退款什么时候到账|等退款到了",
        [
            "退款没到账",
            "退款怎么还没到",
            "退款到现在都没收到",
            "退款什么时候到账啊",
            "我的退款呢 怎么还没到",
            "退款多久能到账",
            "退款什麼時候到賬",
            "退款還沒收到",
        ],
    ),
    "return request": (
        r"申请退货|想退货|怎么退货|退货退款|七天无理由退货",
        [
            "想退货",
            "怎么申请退货",
            "我要退货退款",
            "七天无理由退货怎么弄",
            "买的东西不合适想退",
            "我要退貨",
            "申請退貨退款",
        ],
    ),
    "return shipping cost": (
        r"运费",
        [
            "想退货 运费谁出",
            "退货运费谁承担",
            "寄回去的运费要我自己付吗",
            "运费我先垫付吗",
            "退貨 運費誰出",
            "退回去运费怎么算",
        ],
    ),
    "parcel not moving": (
        r"物流信息两天没有更新|物流一直不更新|快递到哪了|中转站|延误",
        [
            "快递怎么还没到",
            "物流一直不更新",
            "物流信息好几天没动了",
            "快遞到哪了",
            "包裹卡在中转站了",
            "快递是不是延误了",
            "物流怎麼一直不更新",
        ],
    ),
    "when shipped": (
        r"什么时候发货|什么时候能发货|出库",
        ["什么时候发货", "付款三天了还没发货", "今天下单啥时候能发", "什麼時候發貨", "订单怎么还不发货"],
    ),
    "signed but not received": (
        r"显示已签收|签收核查|快递柜代收",
        ["显示签收了但我没收到", "快递显示已签收 本人没收到", "没人签收却显示签收", "顯示已簽收但沒收到"],
    ),
    "lost or broken parcel": (
        r"丢件|丢失|外箱破|摔坏|破损",
        ["快递丢了", "包裹破了东西摔坏了", "包裹丟失", "东西摔坏了要投诉", "外箱破了"],
    ),
    "courier attitude": (
        r"快递员态度",
        ["投诉快递员态度不好", "快递员态度太差了", "快遞員態度差"],
    ),
    "VAT invoice": (
        r"增值税专用发票|专票",
        ["开增值税专票", "要开专用发票需要什么资料", "開專票", "专票怎么开"],
    ),
    "invoice title wrong": (
        r"抬头开错|抬头写错",
        ["发票开错了", "发票抬头写错了要重开", "發票抬頭錯了", "发票公司名字写错了", "发票开错了能重开吗"],
    ),
    "invoice not received": (
        r"发票到现在还没收到|邮箱没收到|发票什么时候能开好",
        ["发票还没收到", "电子发票邮箱没收到", "申请的发票一直没到", "發票還沒收到"],
    ),
    "exchange": (
        r"换货|换大一号|换一件|换一个新的",
        ["尺码小了想换大一号", "想换货", "衣服小了能换吗", "換貨申請", "能不能换一件"],
    ),
    "broken quickly": (
        r"就坏了|质量太差|质量问题",
        ["用了一周就坏了", "质量太差了", "东西坏了能退吗", "質量問題投訴", "才用几天就坏"],
    ),
    "smell": (r"异味", ["有股怪味", "异味很大洗不掉", "有異味", "味道很大"]),
    "scratches": (r"划痕|瑕疵", ["收到就有划痕", "商品有瑕疵", "有劃痕"]),
    "repair": (
        r"维修|保修",
        ["保修期内坏了怎么修", "充不进电 申请维修", "保修維修", "坏了能修吗"],
    ),
    "account stolen": (
        r"被盗|异地登录|陌生订单|没下过的订单",
        ["账号被盗了", "有陌生订单不是我下的", "收到异地登录提醒", "帳號被盜", "账户是不是被盗了"],
    ),
    "verification code": (
        r"验证码",
        ["收不到验证码", "短信验证码一直不来", "收不到驗證碼", "验证码怎么一直收不到"],
    ),
    "wrong password": (
        r"密码错误",
        ["登录一直说密码错误", "密码错误登不上", "密碼錯誤"],
    ),
    "new phone number": (
        r"更换绑定手机|手机号换了|手机号不用了",
        ["换手机号了怎么改绑定", "手机号不用了收不到验证码", "換綁定手機"],
    ),
    "white screen": (r"白屏", ["支付页面白屏", "app付款白屏付不了款", "付款頁面白屏"]),
    "system busy": (r"系统繁忙", ["下单提示系统繁忙", "一直系统繁忙", "系統繁忙"]),
    "checkout": (r"无法结算|付不了款", ["购物车结算不了", "付不了款怎么回事", "無法結算"]),
    "coupon": (
        r"优惠券.{0,20}(用不了|不满足|过期)|补发一张全场通用的优惠券",
        ["优惠券用不了", "券用不了提示不满足条件", "優惠券過期了", "优惠券怎么用不了"],
    ),
    "discount not applied": (
        r"满减|差价",
        ["满减没生效", "多付了钱能退差价吗", "滿減沒生效", "差价什么时候退"],
    ),
    "points missing": (
        r"积分还没到账|会员积分没到账|补发 \d+ 积分",
        ["积分没到账", "确认收货了积分还没到", "積分沒到賬", "积分怎么还没有"],
    ),
    "membership level": (r"等级.{0,3}降", ["会员等级怎么降了", "VIP等级降了", "會員等級降了"]),
    "change address": (
        r"地址填错|修改收货地址|改地址|改成公司地址",
        ["地址填错了想改", "收货地址能改吗", "改地址", "地址寫錯了"],
    ),
    "cancel order": (
        r"取消订单|请帮我取消|订单已为您取消",
        ["订单不想要了帮我取消", "取消訂單", "怎么取消订单"],
    ),
    "double charge": (
        r"扣了两次|重复扣款|重复支付",
        ["付款扣了两次钱", "重复扣款了怎么办", "重複扣款", "钱被扣了两次"],
    ),
    "packaging": (r"塑料泡沫|更环保", ["包装能不能环保点", "少用点泡沫", "包裝太浪費"]),
    "in stock": (r"现货", ["有没有现货", "有貨嗎", "现在有货吗"]),
    "manual": (r"说明书", ["有说明书吗", "给老人用复杂吗 有没有说明书", "說明書"]),
    "english delivery": (
        r"tracking has not updated|Where is my order|customs clearance",
        ["where is my order", "tracking not updated", "parcel stuck in customs"],
    ),
    "english refund": (
        r"(?i)refund",
        ["refund for damaged earbuds", "refunds", "refund request"],
    ),
}

FILLERS_BEFORE = ("", "", "请问", "你好，", "我想问下", "麻烦问一下")
FILLERS_AFTER = ("", "？", "怎么办", "怎么回事", "了吗", "啊", "呢")


def generated_queries(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(query, clause): clauses of the demo scripts retold in everyday typing (seeded)."""
    import jieba

    from kefu.core.text import s2t
    from kefu.ops import demo_content as content

    clauses: list[str] = []
    for scenario in content.SCENARIOS:
        if scenario.english:
            continue
        for template in (*scenario.subjects, *scenario.openings, *scenario.follow_ups):
            for part in re.split(r"[，。？！,：:“”（）()]", template):
                part = part.strip()
                if "{" not in part and "}" not in part and 6 <= len(part) <= 18 and part not in clauses:
                    clauses.append(part)
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for clause in rng.sample(clauses, min(count, len(clauses))):
        words = [w for w in jieba.cut(clause) if w.strip()]
        if len(words) > 3 and rng.random() < 0.5:  # a word left out (not the first)
            del words[rng.randrange(1, len(words))]
        if len(words) > 3 and rng.random() < 0.3:  # the halves swapped, with a space
            half = len(words) // 2
            words = [*words[half:], " ", *words[:half]]
        query = rng.choice(FILLERS_BEFORE) + "".join(words) + rng.choice(FILLERS_AFTER)
        if rng.random() < 0.5:
            query = s2t(query)
        out.append((query, clause))
    return out


# --------------------------------------------------------------------------- the previous semantics
_OLD_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_OLD_TOKEN_RE = re.compile(rf"[{_OLD_CJK}]+|[0-9a-zA-Z\u00c0-\u024f]+(?:[-_.][0-9a-zA-Z]+)*")
_OLD_CJK_RE = re.compile(rf"^[{_OLD_CJK}]+$")


def legacy_parse(query: str, *, include_internal: bool):
    """Frozen copy of the previous query semantics (kefu.core.text.tokens/query_terms and
    tickets.search.parse at commit 1ed5176): every distinct bigram of the raw query, no folding,
    all must match. English words are stemmed as the index stores them now (credit for old hits)."""
    from kefu.core.text import stemmer
    from kefu.tickets import search

    toks: list[str] = []
    for match in _OLD_TOKEN_RE.finditer(query or ""):
        part = match.group(0)
        if _OLD_CJK_RE.match(part):
            toks.extend([part] if len(part) == 1 else [part[i : i + 2] for i in range(len(part) - 1)])
        else:
            word = part.lower()
            toks.append(stemmer().stemWord(word) if word.isalpha() else word)
    terms = list(dict.fromkeys(toks))[:32]

    class LegacyQuery(search.Query):
        @property
        def min_cover(self) -> int:  # every term must match: one level, no partial matches
            return len(self.groups)

    return LegacyQuery(tuple(((t,),) for t in terms), (), include_internal) if terms else None


@contextmanager
def previous_semantics():
    from kefu.tickets import search

    current = search.parse
    search.parse = legacy_parse
    try:
        yield
    finally:
        search.parse = current


# --------------------------------------------------------------------------- the run
@dataclass
class Case:
    group: str
    query: str
    user: object
    relevant: set[int]
    scores: dict[str, tuple[float, float, bool, float]] = field(default_factory=dict)


def kefu(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "kefu.cli", *args], env=env, check=True)


def prepare(tickets: int) -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update(KEFU_DATA_DIR=str(VAR), KEFU_LOG_LEVEL="WARNING")
    kefu(env, "migrate", "-v0")
    loaded = VAR / "demo-loaded"  # the demo is loaded once per data folder
    if not loaded.exists():
        kefu(env, "demo", "--no-progress", "-v0")
        loaded.touch()
    seeded = VAR / f"seeded-{tickets}"
    if not seeded.exists():
        kefu(env, "seed", "--tickets", str(tickets), "--customers", str(max(1, tickets // 10)), "--seed", "3")
        seeded.touch()
    os.environ.update(
        KEFU_DATA_DIR=str(VAR), KEFU_LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="kefu.settings"
    )
    import django

    django.setup()
    from django.db import transaction

    from kefu.tickets.models import Ticket
    from kefu.tickets.services import reindex

    started = time.perf_counter()
    with transaction.atomic():  # the index as this version writes it, whatever wrote the folder
        reindex(list(Ticket.objects.values_list("pk", flat=True)))
    print(f"search index rebuilt in {time.perf_counter() - started:.1f} s")


def ticket_texts(user) -> dict[int, str]:
    from kefu.tickets.models import Message
    from kefu.tickets.selectors import visible_tickets

    texts = dict(visible_tickets(user).values_list("pk", "subject"))
    for tid, body in Message.objects.filter(
        ticket_id__in=list(texts), kind__in=("public", "internal")
    ).values_list("ticket_id", "body_text"):
        texts[tid] += "\n" + body
    return texts


def run(case: Case, name: str, search: Callable) -> None:
    started = time.perf_counter()
    hits = [h.ticket.pk for h in search(case.user, case.query)]
    elapsed = (time.perf_counter() - started) * 1000
    top = hits[:10]
    recall = len([t for t in top if t in case.relevant]) / min(10, len(case.relevant))
    rr = next((1 / (i + 1) for i, t in enumerate(hits) if t in case.relevant), 0.0)
    case.scores[name] = (recall, rr, not hits, elapsed)


def summary(cases: list[Case], label: str) -> None:
    if not cases:
        return
    row = [f"{label:<34} {len(cases):>4}"]
    for name in ("previous", "new"):
        recall = statistics.mean(c.scores[name][0] for c in cases)
        mrr = statistics.mean(c.scores[name][1] for c in cases)
        empty = sum(c.scores[name][2] for c in cases) / len(cases)
        row.append(f"{recall:6.3f} {mrr:6.3f} {empty:6.1%}")
    print("  ".join(row))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=3000, help="seeded tickets beside the demo's")
    parser.add_argument("--generated", type=int, default=110, help="queries generated from the scripts")
    parser.add_argument("--show", type=int, default=0, help="print the N queries the new search does worst")
    args = parser.parse_args()
    prepare(args.tickets)

    from kefu.accounts.models import User
    from kefu.core.text import clean
    from kefu.tickets.models import Ticket
    from kefu.tickets.selectors import search_tickets

    lina, zhaomin = User.objects.get(username="lina"), User.objects.get(username="zhaomin")
    texts = {lina: ticket_texts(lina), zhaomin: ticket_texts(zhaomin)}
    print(
        f"data: {Ticket.objects.count():,} tickets (demo + {args.tickets:,} seeded); "
        f"李娜 sees {len(texts[lina]):,}, 赵敏 (supervisor) all"
    )

    def case(group: str, query: str, match: Callable[[str], bool]) -> Case | None:
        for user in (lina, zhaomin):
            relevant = {tid for tid, text in texts[user].items() if match(text)}
            if relevant:
                return Case(group, query, user, relevant)
        return None

    cases: list[Case] = []
    for pattern, phrasings in INTENTS.values():
        rx = re.compile(pattern)
        for query in phrasings:
            script = "traditional" if clean(query) != query.lower() else "simplified"
            made = case(f"hand · {script}", query, lambda t, rx=rx: bool(rx.search(t)))
            if made:
                cases.append(made)
    for query, clause in generated_queries(args.generated):
        script = "traditional" if clean(query) != query.lower() else "simplified"
        made = case(f"generated · {script}", query, lambda t, c=clause: c in t)
        if made:
            cases.append(made)

    for c in cases:
        with previous_semantics():
            run(c, "previous", search_tickets)
        run(c, "new", search_tickets)

    print(
        "\nbaseline 'previous' = the previous query semantics (every bigram must match, no folding), a frozen"
        "\ncopy in this file swapped in for tickets.search.parse; both through tickets.selectors.search_tickets"
        "\non the same index, in this run.\n"
    )
    print(f"{'queries':<34} {'n':>4}  {'previous: R@10    MRR  empty':<28}  {'new: R@10    MRR  empty'}")
    groups = sorted({c.group for c in cases})
    for group in groups:
        summary([c for c in cases if c.group == group], group)
    summary([c for c in cases if c.group.startswith("hand")], "hand-written, all")
    summary([c for c in cases if c.group.startswith("generated")], "generated, all")
    summary(cases, "ALL")
    for name in ("previous", "new"):
        times = sorted(c.scores[name][3] for c in cases)
        print(
            f"  {name:<9} time per search: median {statistics.median(times):.1f} ms, "
            f"p95 {times[int(0.95 * (len(times) - 1))]:.1f} ms, max {times[-1]:.1f} ms"
        )
    users = {lina: 0, zhaomin: 0}
    for c in cases:
        users[c.user] += 1
    print(f"  searched as 李娜: {users[lina]} queries, as 赵敏: {users[zhaomin]}")
    if args.show:
        print("\nworst for the new search (R@10, RR, query, relevant tickets):")
        for c in sorted(cases, key=lambda c: (c.scores["new"][0], c.scores["new"][1]))[: args.show]:
            print(
                f"  {c.scores['new'][0]:.2f} {c.scores['new'][1]:.2f}  (prev {c.scores['previous'][0]:.2f})"
                f"  {c.query!r:<30} {len(c.relevant)}"
            )


if __name__ == "__main__":
    main()
