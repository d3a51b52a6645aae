"""What the demo company 云杉优品 says and who works there: people, products and conversation scripts.

Texts use placeholders filled per ticket: {name} (how we address the customer), {order},
{product}, {courier}, {tracking}, {amount}, {points}, {coupon}, {days}.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPANY = "云杉优品"
DEMO_PASSWORD = "kefu-demo-2026"

TEAMS = ("售前咨询", "售后服务", "技术支持")
DEPARTMENTS = ("仓储", "质检")
SKILLS = (
    "退换货",
    "物流",
    "发票",
    "账户安全",
    "技术故障",
    "English",
    "产品咨询",
    "优惠活动",
    "会员积分",
    "投诉处理",
)

# username, display name, role, teams, seniority (years), skills
STAFF = (
    (
        "zhaomin",
        "赵敏",
        "supervisor",
        ("售前咨询", "售后服务", "技术支持"),
        8,
        ("投诉处理", "退换货", "English"),
    ),
    ("sunli", "孙丽", "qa", ("售后服务",), 6, ("投诉处理", "产品咨询")),
    ("lina", "李娜", "senior_agent", ("售后服务",), 5, ("退换货", "物流", "投诉处理")),
    ("zhouqiang", "周强", "senior_agent", ("技术支持",), 6, ("技术故障", "账户安全", "English")),
    ("wangfang", "王芳", "agent", ("售后服务",), 3, ("退换货", "发票")),
    ("liuyang", "刘洋", "agent", ("售后服务",), 2, ("物流", "退换货")),
    ("chenjing", "陈静", "agent", ("售前咨询",), 2, ("产品咨询", "优惠活动")),
    ("yangfan", "杨帆", "agent", ("售前咨询",), 1, ("产品咨询", "English")),
    ("huanglei", "黄磊", "agent", ("技术支持",), 2, ("技术故障", "账户安全")),
    ("wuting", "吴婷", "agent", ("售后服务",), 1, ("发票", "物流")),
    ("xuchen", "徐晨", "agent", ("售前咨询",), 3, ("会员积分", "优惠活动", "发票")),
    ("mali", "马丽", "agent", ("技术支持",), 0, ("技术故障",)),
)
TEAM_LEADS = {"售前咨询": "zhaomin", "售后服务": "lina", "技术支持": "zhouqiang"}
# username, display name, department
DEPARTMENT_MEMBERS = (("chengang", "陈刚", "仓储"), ("zhengxue", "郑雪", "质检"))

# The customer whose login the demo prints.
DEMO_CUSTOMER = ("xiaoming", "张晓明", "xiaoming@example.cn")

# name, email domain, members see each other's tickets
ORGANISATIONS = (
    ("杭州青禾文化传媒有限公司", "qinghe.example.cn", True),
    ("上海木棉设计工作室", "mumian.example.cn", False),
    ("成都蓝鲸科技有限公司", "lanjing.example.cn", True),
    ("广州南风贸易有限公司", "nanfeng.example.cn", False),
    ("北京知行教育咨询有限公司", "zhixing.example.cn", False),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢傅钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "文",
    "华",
    "晓东",
    "建国",
    "子涵",
    "浩然",
    "雨萱",
    "欣怡",
    "梓轩",
    "思远",
    "一鸣",
    "佳怡",
    "宇航",
    "诗涵",
    "俊杰",
    "晨曦",
    "若曦",
    "嘉怡",
    "天佑",
    "梦瑶",
    "志强",
    "海燕",
    "春梅",
    "晓燕",
    "立新",
    "玉兰",
]
CITIES = (
    "上海",
    "北京",
    "杭州",
    "广州",
    "深圳",
    "成都",
    "南京",
    "武汉",
    "西安",
    "苏州",
    "重庆",
    "长沙",
    "厦门",
    "青岛",
)
ENGLISH_CUSTOMERS = (
    ("Emily Carter", "emily.carter@example.com"),
    ("James Wilson", "james.wilson@example.co.uk"),
    ("Sophie Martin", "sophie.martin@example.fr"),
    ("Daniel Kim", "daniel.kim@example.com"),
    ("Olivia Brown", "olivia.brown@example.com.au"),
    ("Lucas Müller", "lucas.mueller@example.de"),
)

PRODUCTS = (
    "云杉纯棉四件套",
    "智能恒温电热水壶",
    "无线降噪蓝牙耳机",
    "羊毛混纺围巾",
    "不锈钢保温杯 500ml",
    "便携榨汁杯",
    "儿童护眼台灯",
    "真丝枕套",
    "空气炸锅 4.5L",
    "乳胶枕",
    "机械键盘",
    "扫地机器人 S3",
    "羽绒服（女款）",
    "跑步鞋",
    "有机绿茶礼盒",
)
PRODUCTS_EN = ("wireless earbuds", "silk pillowcase", "air fryer", "wool scarf", "robot vacuum S3")
COURIERS = ("顺丰速运", "中通快递", "圆通速递", "京东物流", "韵达快递", "EMS")
GREETINGS = ("您好，", "亲，您好！", "{name}您好，", "尊敬的{name}，您好！")
SIGN_OFFS = (
    "如有其他问题，欢迎随时联系我们，祝您生活愉快！",
    "感谢您对云杉优品的支持，祝您购物愉快！",
    "给您带来不便，我们深表歉意，感谢您的理解与耐心。",
    "如还有疑问，可直接回复本工单或拨打客服热线 400-800-1234。",
)


@dataclass(frozen=True)
class Scenario:
    key: str
    category: tuple[str, str]
    team: str
    type: str
    subjects: tuple[str, ...]
    openings: tuple[str, ...]
    replies: tuple[str, ...]
    follow_ups: tuple[str, ...]
    closings: tuple[str, ...]
    notes: tuple[str, ...] = ()
    department: str = ""
    department_notes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    english: bool = False
    weight: int = 10
    thanks: tuple[str, ...] = field(
        default=("好的，谢谢！", "收到，麻烦你们了。", "问题已解决，谢谢客服小姐姐～")
    )


CATEGORIES = {
    # parent: (english name, children as (name, english name))
    "订单": ("Orders", (("修改订单", "Change order"), ("取消订单", "Cancel order"), ("支付问题", "Payment"))),
    "物流": ("Delivery", (("物流查询", "Tracking"), ("配送异常", "Delivery problem"))),
    "退换货": ("Returns", (("退货退款", "Return and refund"), ("换货", "Exchange"), ("维修", "Repair"))),
    "发票": ("Invoices", (("开具发票", "Issue invoice"), ("发票修改", "Correct invoice"))),
    "账户": (
        "Account",
        (("登录问题", "Login"), ("账户安全", "Account security"), ("会员积分", "Loyalty points")),
    ),
    "产品质量": ("Product quality", (("质量问题", "Defect"), ("产品咨询", "Product question"))),
    "优惠活动": ("Promotions", (("优惠券", "Coupons"), ("促销活动", "Campaigns"))),
    "技术": ("Technical", (("App故障", "App problem"), ("网站故障", "Website problem"))),
    "其他": ("Other", (("意见建议", "Suggestion"),)),
}

SCENARIOS = (
    Scenario(
        key="refund",
        category=("退换货", "退货退款"),
        team="售后服务",
        type="after_sales",
        weight=16,
        subjects=(
            "申请退货退款：{product}",
            "订单 {order} 想退货",
            "退款什么时候到账？",
            "{product}不合适，怎么退货",
        ),
        openings=(
            "你好，我在{days}天前买的{product}（订单号 {order}），收到后发现尺寸不合适，想申请七天无理由退货，请问怎么操作？",
            "订单 {order} 的{product}我已经按要求寄回了，快递单号 {tracking}，到现在还没收到退款 {amount} 元，麻烦查一下。",
            "收到的{product}和页面描述不一样，颜色差别很大，我要求退货退款。订单号 {order}。",
        ),
        replies=(
            "{greeting}非常抱歉给您带来不好的购物体验。您的订单 {order} 符合七天无理由退货条件，已为您提交退货申请，"
            "请将商品及配件包装好寄回（运费由我们承担），仓库签收后 1–3 个工作日内退款 {amount} 元将原路退回。{sign_off}",
            "{greeting}已为您查询到退货包裹 {tracking} 已由仓库签收，目前正在质检，质检通过后将在 24 小时内为您办理退款。"
            "请您耐心等待，有进展我们会第一时间通知您。{sign_off}",
        ),
        follow_ups=(
            "已经寄回了，单号 {tracking}，麻烦尽快处理退款。",
            "好的，那运费我先垫付吗？退款会原路返回到微信吗？",
            "都过去三天了，退款还是没到账，能不能催一下？",
        ),
        closings=(
            "{greeting}您的退款 {amount} 元已办理成功，原路退回，预计 1–3 个工作日到账，请注意查收。{sign_off}",
            "{greeting}退款已完成，运费补贴 10 元也已一并退回到您的账户。{sign_off}",
        ),
        notes=("客户情绪较急，已联系仓库加急质检。", "退货商品已签收，外包装完好，可直接退款。"),
        department="仓储",
        department_notes=("仓库已签收退货，商品完好，已转退款。", "退货包裹今天上午入库，质检无问题。"),
        tags=("退款",),
    ),
    Scenario(
        key="exchange",
        category=("退换货", "换货"),
        team="售后服务",
        type="after_sales",
        weight=8,
        subjects=("{product}换货申请", "尺码不对，想换一件", "收到的{product}有瑕疵，申请换货"),
        openings=(
            "买的{product}尺码偏小，想换大一号，订单号 {order}，请问可以换吗？",
            "{product}收到就有划痕，订单 {order}，希望给我换一个新的。",
        ),
        replies=(
            "{greeting}可以为您办理换货。请在订单详情页点击“申请售后-换货”，选择需要的规格，我们收到原商品后会在 48 小时内为您寄出新品。{sign_off}",
            "{greeting}非常抱歉商品出现瑕疵，已为您登记换货，新品将由{courier}优先发出，原商品请在收到新品后 7 天内寄回即可。{sign_off}",
        ),
        follow_ups=("好的，已经提交换货申请了。", "新的什么时候能发？我周末要用。"),
        closings=("{greeting}换货新品已发出，{courier}单号 {tracking}，预计 2 天内送达。{sign_off}",),
        notes=("已通知仓库预留新品。",),
        department="仓储",
        department_notes=("新品已出库，单号已回填。",),
    ),
    Scenario(
        key="tracking",
        category=("物流", "物流查询"),
        team="售后服务",
        type="consultation",
        weight=16,
        subjects=("订单 {order} 物流一直不更新", "快递到哪了？", "什么时候发货？", "物流查询：{tracking}"),
        openings=(
            "我 {days} 天前下的订单 {order}，物流信息两天没有更新了，显示还在中转站，麻烦帮忙查一下。",
            "请问{product}什么时候发货？订单 {order}，付款已经三天了。",
            "{courier}单号 {tracking} 显示已签收，但是我本人没有收到，家里也没人签收过。",
        ),
        replies=(
            "{greeting}已为您联系{courier}核实，您的包裹 {tracking} 因中转站货量较大有所延误，目前已发往您所在城市，预计明天送达。{sign_off}",
            "{greeting}您的订单 {order} 已于今天上午出库，由{courier}配送，单号 {tracking}，预计 2–3 天送达。{sign_off}",
            "{greeting}非常抱歉给您带来困扰，我们已向{courier}发起签收核查，核实期间请您留意快递员电话。{sign_off}",
        ),
        follow_ups=("好的，那我再等等。", "还是没有收到，能不能给我补发？", "快递员电话打不通，怎么办？"),
        closings=(
            "{greeting}经核实包裹已由快递柜代收，取件码已通过短信重新发送给您。{sign_off}",
            "{greeting}已为您安排补发，新单号 {tracking}，原包裹我们会继续追查。{sign_off}",
        ),
        notes=("快递网点反馈系统延迟，已要求加急派送。",),
        department="仓储",
        department_notes=("出库记录正常，已联系快递网点。",),
        tags=("物流",),
    ),
    Scenario(
        key="lost",
        category=("物流", "配送异常"),
        team="售后服务",
        type="complaint",
        weight=6,
        subjects=("快递丢件投诉", "包裹破损，东西摔坏了", "投诉：快递员态度差"),
        openings=(
            "收到的包裹外箱破了，{product}摔坏了，订单 {order}，我要投诉！",
            "物流显示包裹丢失，订单 {order}，已经等了一周了，你们必须给个说法。",
        ),
        replies=(
            "{greeting}非常抱歉给您带来如此不好的体验，我们已记录您的投诉并升级处理，会为您优先补发新品或全额退款，请问您倾向哪种方式？{sign_off}",
        ),
        follow_ups=("补发吧，尽快。", "直接退款，不要了。"),
        closings=(
            "{greeting}补发新品已由{courier}加急发出，单号 {tracking}，同时为您账户发放了 20 元无门槛优惠券 {coupon} 作为补偿。{sign_off}",
        ),
        notes=("二次投诉风险高，主管已关注。", "已向快递公司发起理赔。"),
        department="仓储",
        department_notes=("已查到破损包裹照片，理赔资料已提交。",),
        tags=("投诉", "加急"),
    ),
    Scenario(
        key="invoice",
        category=("发票", "开具发票"),
        team="售后服务",
        type="consultation",
        weight=10,
        subjects=(
            "申请开具增值税专用发票",
            "发票抬头开错了",
            "订单 {order} 需要开电子发票",
            "发票什么时候能开好？",
        ),
        openings=(
            "订单 {order} 需要开增值税专用发票，公司抬头和税号稍后发给你们，请问需要提供哪些资料？",
            "上次开的电子发票抬头写错了，应该是公司全称，麻烦重新开一张，订单号 {order}。",
            "我在 {days} 天前申请的发票到现在还没收到，麻烦帮我看看。",
        ),
        replies=(
            "{greeting}开具增值税专用发票需要提供：公司名称、纳税人识别号、注册地址及电话、开户行及账号。请您回复本工单提供以上信息，我们会在 3 个工作日内开具。{sign_off}",
            "{greeting}已为您作废原发票并重新开具，新的电子发票会发送到您的预留邮箱。{sign_off}",
        ),
        follow_ups=(
            "公司名称：{org}，税号 91330100MA2{tracking}，地址电话和开户行都在附件说明里。",
            "邮箱没收到，能再发一次吗？",
        ),
        closings=("{greeting}发票已开具并发送至您的邮箱，金额 {amount} 元，请注意查收。{sign_off}",),
        notes=("专票需财务审核，已提交财务。",),
        tags=("发票",),
    ),
    Scenario(
        key="account_security",
        category=("账户", "账户安全"),
        team="技术支持",
        type="technical",
        weight=8,
        subjects=("账号被盗，有陌生订单", "收到异地登录提醒", "账户安全：手机号换了无法验证"),
        openings=(
            "我的账号今天收到异地登录提醒，还多了一个我没下过的订单 {order}，是不是被盗了？",
            "原来的手机号不用了，收不到验证码，登不上账户，怎么更换绑定手机？",
        ),
        replies=(
            "{greeting}为保障您的账户安全，我们已临时冻结该账户并取消可疑订单 {order}。请您通过“找回密码”重设密码，并开启登录保护。{sign_off}",
            "{greeting}更换绑定手机需要核实身份，请提供最近一笔订单的订单号和收货人姓名，我们核实后为您办理。{sign_off}",
        ),
        follow_ups=("密码已经改好了，订单取消了吗？", "最近的订单号是 {order}，收货人是我自己。"),
        closings=("{greeting}已完成身份核实，绑定手机已更换，账户已恢复正常使用。{sign_off}",),
        notes=("可疑登录 IP 已加入风控名单。", "已核实身份信息一致。"),
        tags=("账户安全",),
    ),
    Scenario(
        key="login",
        category=("账户", "登录问题"),
        team="技术支持",
        type="technical",
        weight=6,
        subjects=("登录一直提示密码错误", "App 登录闪退", "收不到短信验证码"),
        openings=(
            "登录的时候一直提示密码错误，重置了也不行，怎么回事？",
            "收不到短信验证码，试了好几次了，手机号是 1{tracking}。",
        ),
        replies=(
            "{greeting}请您先确认手机没有开启短信拦截，并尝试使用语音验证码。如仍无法登录，请告诉我们您的手机型号和 App 版本。{sign_off}",
        ),
        follow_ups=("是华为 Mate 60，App 版本 5.2.1。", "语音验证码可以了，谢谢。"),
        closings=("{greeting}已修复短信通道问题，现在可以正常收到验证码了。{sign_off}",),
        notes=("短信服务商通道偶发拥堵，已反馈技术部。",),
    ),
    Scenario(
        key="app_bug",
        category=("技术", "App故障"),
        team="技术支持",
        type="technical",
        weight=7,
        subjects=("App 支付页面白屏", "下单时报错“系统繁忙”", "购物车商品无法结算"),
        openings=(
            "用 App 下单到支付页面就白屏，换了网络也一样，订单 {order} 一直付不了款。",
            "结算时一直提示“系统繁忙，请稍后再试”，已经一个小时了。",
        ),
        replies=(
            "{greeting}感谢您的反馈，请您尝试清除 App 缓存后重新登录，或升级到最新版本。我们已将问题提交技术团队排查。{sign_off}",
        ),
        follow_ups=("清了缓存还是不行。", "升级之后可以了。"),
        closings=(
            "{greeting}技术团队已修复支付页面的问题，您现在可以正常付款了，为表歉意已赠送您 {points} 积分。{sign_off}",
        ),
        notes=("已复现：安卓 14 + 旧版本 WebView，研发在修。",),
        tags=("故障",),
    ),
    Scenario(
        key="quality",
        category=("产品质量", "质量问题"),
        team="售后服务",
        type="complaint",
        weight=9,
        subjects=("{product}质量太差了", "刚用一周就坏了：{product}", "投诉产品质量问题"),
        openings=(
            "买的{product}才用了一周就坏了，开不了机，订单 {order}，质量也太差了吧！",
            "{product}有很大的异味，洗了好几次还有，怀疑质量有问题。",
        ),
        replies=(
            "{greeting}非常抱歉商品出现质量问题。麻烦您提供商品问题部位的照片或视频，我们会提交质检部门鉴定，确认后为您免费换新或退款。{sign_off}",
        ),
        follow_ups=("照片已经上传到附件了，你们看一下。", "视频发你们了，希望尽快处理。"),
        closings=(
            "{greeting}经质检鉴定确属产品质量问题，已为您办理全额退款 {amount} 元，并补偿 {points} 积分。{sign_off}",
            "{greeting}质检确认后，已为您安排换新，新品将在 48 小时内发出。{sign_off}",
        ),
        notes=("同批次已有类似反馈，建议质检抽检。",),
        department="质检",
        department_notes=(
            "同批次抽检 20 件，发现 2 件有同样问题，已通知供应商。",
            "鉴定结果：非人为损坏，支持换新。",
        ),
        tags=("质量",),
    ),
    Scenario(
        key="repair",
        category=("退换货", "维修"),
        team="技术支持",
        type="after_sales",
        weight=4,
        subjects=("{product}保修期内维修", "申请售后维修"),
        openings=("{product}在保修期内出现故障，充不进电，订单 {order}，请问怎么申请维修？",),
        replies=(
            "{greeting}您的商品在一年保修期内，可以免费维修。请将商品寄到售后维修中心，寄件时附上订单号 {order}。{sign_off}",
        ),
        follow_ups=("已经寄出，单号 {tracking}。",),
        closings=("{greeting}维修已完成，更换了电池模块，商品已寄回，单号 {tracking}。{sign_off}",),
        department="质检",
        department_notes=("检测为电池故障，已更换。",),
    ),
    Scenario(
        key="presale",
        category=("产品质量", "产品咨询"),
        team="售前咨询",
        type="consultation",
        weight=10,
        subjects=("{product}有现货吗？", "咨询{product}的规格", "请问{product}支持七天无理由吗？"),
        openings=(
            "请问{product}现在有现货吗？今天下单什么时候能发货？",
            "想给家里老人买{product}，请问操作复杂吗？有没有说明书？",
        ),
        replies=(
            "{greeting}{product}目前有现货，今天 16:00 前下单当天发货，支持七天无理由退换。{sign_off}",
            "{greeting}这款操作很简单，一键启动，随包装附有中文说明书，也可以在商品详情页观看使用视频。{sign_off}",
        ),
        follow_ups=("好的，那我现在下单。", "有没有优惠？"),
        closings=("{greeting}已为您下单的商品备注优先发货，感谢您的信任。{sign_off}",),
    ),
    Scenario(
        key="coupon",
        category=("优惠活动", "优惠券"),
        team="售前咨询",
        type="consultation",
        weight=8,
        subjects=("优惠券用不了", "满减活动没生效", "优惠券 {coupon} 提示已过期"),
        openings=(
            "领的满 300 减 50 优惠券 {coupon} 结算时用不了，提示不满足使用条件，可我买了 {amount} 元。",
            "双十一的满减活动在订单 {order} 里没有生效，多付了钱，能退差价吗？",
        ),
        replies=(
            "{greeting}经查询，该优惠券仅限指定品类商品使用，您购物车中的部分商品不在活动范围内。我们已为您补发一张全场通用的优惠券。{sign_off}",
            "{greeting}核实后确认您的订单符合活动规则，差价 {amount} 元将以余额形式退回您的账户。{sign_off}",
        ),
        follow_ups=("收到新的券了，可以用了。", "差价什么时候到？"),
        closings=("{greeting}差价已退回，请在“我的-余额”中查看。{sign_off}",),
        tags=("优惠券",),
    ),
    Scenario(
        key="points",
        category=("账户", "会员积分"),
        team="售前咨询",
        type="consultation",
        weight=6,
        subjects=("会员积分没到账", "积分怎么兑换？", "会员等级为什么降了"),
        openings=(
            "订单 {order} 确认收货已经一周了，积分还没到账，应该有 {points} 分。",
            "我的 VIP 会员等级怎么降了？去年消费了很多啊。",
        ),
        replies=(
            "{greeting}订单积分在确认收货 7 天后发放，已为您手动补发 {points} 积分，请刷新查看。{sign_off}",
            "{greeting}会员等级按近 12 个月的消费金额计算，您距离保级还差 {amount} 元，我们为您申请了一个月的等级保留期。{sign_off}",
        ),
        follow_ups=("看到了，谢谢。", "那积分能抵现金吗？"),
        closings=("{greeting}积分可在结算时抵扣，100 积分抵 1 元。{sign_off}",),
        tags=("会员",),
    ),
    Scenario(
        key="change_order",
        category=("订单", "修改订单"),
        team="售前咨询",
        type="consultation",
        weight=7,
        subjects=("修改收货地址", "订单 {order} 想改地址", "取消订单"),
        openings=(
            "订单 {order} 的收货地址填错了，能改成公司地址吗？还没发货。",
            "刚下的订单 {order} 不想要了，请帮我取消。",
        ),
        replies=(
            "{greeting}您的订单尚未出库，已为您修改收货地址，请在订单详情中核对。{sign_off}",
            "{greeting}订单已为您取消，款项 {amount} 元将在 1–3 个工作日内原路退回。{sign_off}",
        ),
        follow_ups=("地址核对过了，没问题。",),
        closings=("{greeting}已处理完毕。{sign_off}",),
        department="仓储",
        department_notes=("已拦截出库。",),
    ),
    Scenario(
        key="payment",
        category=("订单", "支付问题"),
        team="售前咨询",
        type="consultation",
        weight=4,
        subjects=("重复扣款了", "付款成功但订单显示未支付"),
        openings=("订单 {order} 付款的时候扣了两次钱，一共 {amount} 元，请帮忙退一笔。",),
        replies=(
            "{greeting}已核实到重复支付，多扣的款项已为您发起退款，预计 1–3 个工作日原路退回。{sign_off}",
        ),
        follow_ups=("好的，等退款到了我再确认。",),
        closings=("{greeting}重复支付的款项已退回。{sign_off}",),
        tags=("退款",),
    ),
    Scenario(
        key="suggestion",
        category=("其他", "意见建议"),
        team="售前咨询",
        type="suggestion",
        weight=4,
        subjects=("建议增加夜间配送", "希望 App 增加发票下载功能", "包装可以更环保一些"),
        openings=(
            "建议你们的包装少用点塑料泡沫，用纸质填充更环保。",
            "希望 App 能直接下载电子发票，每次都要找客服太麻烦了。",
        ),
        replies=("{greeting}感谢您的宝贵建议！我们已将您的意见反馈给相关部门，会认真评估改进。{sign_off}",),
        follow_ups=("好的，期待改进。",),
        closings=("{greeting}为感谢您的建议，已赠送您 {points} 积分。{sign_off}",),
    ),
    Scenario(
        key="en_delivery",
        category=("物流", "物流查询"),
        team="售后服务",
        type="consultation",
        english=True,
        weight=2,
        subjects=("Where is my order {order}?", "Delivery to Hong Kong"),
        openings=(
            "Hi, I ordered the {product_en} ten days ago (order {order}) and tracking has not updated since. Can you check?",
        ),
        replies=(
            "Hello {name}, thank you for reaching out. Your parcel {tracking} is in customs clearance and should arrive within 3 working days. Kind regards, Yunshan Store support",
        ),
        follow_ups=("Thanks, I will wait a few more days.",),
        closings=("Hello {name}, the courier confirms delivery today. Have a great day!",),
        thanks=("Received it, thank you!",),
    ),
    Scenario(
        key="en_refund",
        category=("退换货", "退货退款"),
        team="售后服务",
        type="after_sales",
        english=True,
        weight=2,
        subjects=("Refund request for {order}", "Return the {product_en}"),
        openings=(
            "The {product_en} I received is damaged. I would like a refund for order {order}, please.",
        ),
        replies=(
            "Hello {name}, we are sorry about this. We have issued a prepaid return label; once the item is back we refund {amount} CNY to your card. Kind regards, Yunshan Store support",
        ),
        follow_ups=("I sent it back today.",),
        closings=(
            "Hello {name}, your refund of {amount} CNY has been processed. It may take 3–5 days to show.",
        ),
        thanks=("Great, thanks for the quick help.",),
        tags=("退款",),
    ),
    Scenario(
        key="en_invoice",
        category=("发票", "开具发票"),
        team="售后服务",
        type="consultation",
        english=True,
        weight=1,
        subjects=("Invoice in English for order {order}",),
        openings=("Could you send an invoice in English for order {order}? Our accounting team needs it.",),
        replies=(
            "Hello {name}, we can issue a bilingual invoice. Please confirm your company name and address.",
        ),
        follow_ups=("Company: {org}. Address in the attachment.",),
        closings=("Hello {name}, the invoice has been sent to your email address.",),
        thanks=("Got it, thanks.",),
    ),
)
