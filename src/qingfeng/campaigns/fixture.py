"""The seed campaign (the campaign speech): its phases, its four projects and their actions,
and its tasks by unit category and people group. The demo loads it; a bureau may load it too."""

from __future__ import annotations

from datetime import date, timedelta

from qingfeng.orgs.models import Person, Unit

NAME = "深入贯彻中央八项规定精神学习教育"
DAYS = 150
PLAN_POINTS = "以“学、查、改、评”闭环推进四项工程，周调度、月通报、季考评。"

PHASES = (
    ("学习研讨", (0, 0), (0, 30)),
    ("查摆问题", (0, 31), (0, 60)),
    ("整改整治", (0, 61), (0, 120)),
    ("评估总结", (0, 121), (0, 150)),
)

PROJECTS = (
    (
        "铸魂赋能",
        "在学深悟透中增强自觉性",
        (
            ("领导干部带头学", "第一议题、中心组专题研学、作风建设读书班"),
            ("支部党员系统学", "三会一课、作风建设大家谈、主题党课"),
            ("全体教职工沉浸学", "警示录、廉洁从教承诺践诺、警示教育片"),
        ),
    ),
    (
        "靶向攻坚",
        "在主题聚焦中提升实效性",
        (
            ("三张清单", "领导班子问题清单、科室风险清单、个人整改清单，台账化销号"),
            ("三项行动", "礼品礼金、隐形变异公款吃喝、形式主义加重基层负担"),
            ("专项整治", "教辅材料违规征订等教育领域突出问题"),
        ),
    ),
    (
        "祛疴健体",
        "在标本兼治中强化长效性",
        (
            ("五查五看", "思想认识、制度执行、工作落实、服务效能、廉洁自律"),
            ("双反馈", "向当事人反馈整改要求，向服务对象公示整改进度"),
            ("7项制度规范", "实施细则；修订公务接待、津补贴发放等制度"),
        ),
    ),
    (
        "阳光监督",
        "在开门纳谏中彰显人民性",
        (
            ("直通车", "网上平台、24小时监督热线"),
            ("观察员", "人大代表、家长代表、媒体记者"),
            ("三评", "服务对象评议、第三方评估、纪委监察评鉴；低于85%回炉补课"),
        ),
    ),
)

C, S = Unit.Category, Unit.Stage
P = Person.PostType
# (kind, title, requirement, categories, stages, post types, working days, evidence, project);
# evidence "key:option" is an app's registered evidence (campaigns/evidence.py).
TASKS = (
    (
        "common",
        "制定本单位具体实施方案",
        "结合本单位实际制定实施方案，报上一级审核。",
        (),
        (),
        (),
        10,
        "plan",
        "靶向攻坚",
    ),
    (
        "common",
        "按时报送周调度",
        "每周报送一次，系统已有的数据不再重复填报。",
        (),
        (),
        (),
        5,
        "weekly",
        "靶向攻坚",
    ),
    (
        "individual",
        "机关开放周",
        "机关开放一周，群众反映的问题作为工单办理。",
        (C.ORGAN,),
        (),
        (P.CIVIL, P.LEADER),
        20,
        "confirm",
        "阳光监督",
    ),
    (
        "individual",
        "校长接待日",
        "每月公布一次校长接待日的时间和地点，接待中反映的问题登记为工单。",
        (C.SCHOOL,),
        (),
        (P.LEADER,),
        15,
        "confirm",
        "阳光监督",
    ),
    (
        "individual",
        "教辅材料征订专项整治",
        "自查教辅材料征订，发现问题录入台账。",
        (C.SCHOOL,),
        (S.PRIMARY, S.JUNIOR, S.NINE_YEAR, S.SENIOR, S.COMPLETE),
        (P.PARTY_TEACHER,),
        20,
        "confirm",
        "靶向攻坚",
    ),
    (
        "common",
        "开展警示教育",
        "以身边典型案例开展警示教育，以学习举行记录为准，不另报照片和心得。",
        (),
        (),
        (),
        20,
        "session:warning",
        "铸魂赋能",
    ),
    (
        "common",
        "领导班子问题清单整改销号",
        "领导班子问题清单逐项整改，经审核销号，以台账销号为准。",
        (),
        (),
        (P.LEADER,),
        60,
        "closed:leadership",
        "靶向攻坚",
    ),
    (
        "individual",
        "教研成果廉洁审查",
        "对教研评比、课题评审开展廉洁风险排查。",
        (C.RESEARCH,),
        (),
        (P.SUPPORT,),
        20,
        "confirm",
        "祛疴健体",
    ),
)


def phases_from(start: date) -> list[tuple[str, date, date]]:
    return [
        (name, start + timedelta(days=a[1]), start + timedelta(days=b[1])) for name, a, b in PHASES
    ]
