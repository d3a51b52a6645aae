import pytest

from kefu.knowledge import services
from kefu.knowledge.search import store
from kefu.knowledge.states import Status


@pytest.fixture(autouse=True)
def _kb_index(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.KEFU_KB_SYNC_SECONDS = 0
    store.reset()
    yield
    store.reset()


ARTICLES = [
    dict(
        external_id="refund-time",
        title="退款多久到账",
        category="售后/退款",
        short_answer="退款审核通过后，原路退回，一般 1-3 个工作日到账。",
        body="退款审核通过后，款项原路退回到您的支付账户。\n\n- 支付宝/微信：1-3 个工作日\n- 银行卡：3-7 个工作日",
        questions=["钱什么时候退回来", "退款怎么还没到", "申请退款后几天到账"],
    ),
    dict(
        external_id="return-how",
        title="如何申请退货",
        category="售后/退换货",
        short_answer="在“我的订单”中选择商品，点击“申请售后”，选择退货并填写原因。",
        body="签收后 7 天内可无理由退货。在“我的订单”中选择商品，点击“申请售后”。",
        questions=["怎么退货", "东西不想要了能退吗", "七天无理由退货怎么操作"],
    ),
    dict(
        external_id="return-shipping",
        title="退货运费谁承担",
        category="售后/退换货",
        short_answer="质量问题由我们承担退货运费；无理由退货的运费由买家承担。",
        body="质量问题退货，运费由云杉优品承担；七天无理由退货，寄回运费由买家承担。",
        questions=["退货要自己付运费吗", "退回去的邮费谁出"],
    ),
    dict(
        external_id="track",
        title="怎么查询物流",
        category="物流",
        short_answer="在“我的订单”里点击“查看物流”即可看到快递单号和最新进度。",
        body="发货后，在“我的订单”里点击“查看物流”。",
        questions=["快递到哪了", "我的包裹在哪里", "物流信息怎么看"],
    ),
    dict(
        external_id="invoice",
        title="如何开具发票",
        category="发票",
        short_answer="订单完成后，在订单详情页点击“申请发票”，电子发票会发到您的邮箱。",
        body="支持电子普通发票和增值税专用发票。",
        questions=["怎么开发票", "能开专票吗", "发票抬头怎么填"],
    ),
    dict(
        external_id="password",
        title="忘记密码怎么办",
        category="账户安全",
        short_answer="在登录页点击“忘记密码”，通过手机验证码重设密码。",
        body="在登录页点击“忘记密码”。",
        questions=["密码忘了", "登录不上去了", "怎么重置密码"],
    ),
    dict(
        external_id="en-refund",
        title="How long does a refund take?",
        language="en",
        category="Refunds",
        short_answer="Refunds go back to your original payment method within 1-3 business days.",
        body="Once approved, refunds are returned to your original payment method.",
        questions=["when will I get my money back", "refund not received"],
    ),
]

INTERNAL = dict(
    external_id="internal-comp",
    title="内部：退款补偿标准",
    audience="internal",
    short_answer="内部口径：超时退款可补偿 20 元优惠券。",
    body="仅限客服内部使用：退款补偿标准。",
    questions=["退款补偿多少钱", "退款慢了赔多少"],
)


@pytest.fixture
def kb(db):
    """A small published knowledge base (plus one internal-only article) and the 退款 synonyms."""
    services.set_synonym_group("退款=退钱=返款")
    out = {}
    for row in [*ARTICLES, INTERNAL]:
        row = dict(row)
        if row.get("category"):
            row["category"] = services.category_from_path(row["category"])
        out[row["external_id"]] = services.create_article(by=None, status=Status.PUBLISHED, **row)
    return out
