"""What two complaints about one matter have in common when they are worded differently: the
facts a parent states (who, how much, which grade, what was done) and the words, beside the
characters the MinHash compares (similarity.py).

- **people**: a surname with a post — 李老师, 李某老师, 班主任李老师, 姓李的老师, 李明老师,
  欧阳校长 — become one fact per surname and post (``李老师``); the post is what the office
  holds, so 班主任/任课老师/教师 are all 老师, 副校长/园长 are 校长. A reporter's own name
  (赵女士, 李先生) is no such fact.
- **amounts**: a number followed by 元/块(钱)/万元, in digits of either width or in Chinese
  numerals (200元 = ２００元 = 二百元 = 两百块钱; 一千五 = 1500) — a yuan value.
- **grades**: 三年级 = 3年级; 初一 = 七年级, 高三 = 十二年级.
- **practices**: the matters the campaign deals with, each by the words people use for it
  (补课: 补课、补习、辅导班、培训班、有偿家教 …).
- **words**: the text cut into words (`qingfeng.lib.segment`), the words every complaint
  uses left out, a practice's words replaced by the practice.

Pure: text in, facts out; no Django.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise

from qingfeng.lib import segment

# Surnames that come before a post: the common ones and the compound ones (matched first);
# a few that are more often a common word (和, 时, 明) are left out.
COMPOUND_SURNAMES = [
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "司徒",
    "夏侯",
    "尉迟",
    "公孙",
    "长孙",
    "宇文",
    "端木",
    "南宫",
    "独孤",
    "西门",
    "申屠",
    "百里",
    "呼延",
    "轩辕",
    "澹台",
    "太史",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔汤向常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧"
    "耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙"
    "鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫"
    "米柏宗瞿桂全佟应臧闵苟邬边卞姬仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝"
)
# Posts, and the one each stands for.
POSTS = {
    "班主任": "老师",
    "任课老师": "老师",
    "老师": "老师",
    "教师": "老师",
    "教练": "老师",
    "辅导员": "老师",
    "副校长": "校长",
    "校长": "校长",
    "副园长": "校长",
    "园长": "校长",
    "副主任": "主任",
    "主任": "主任",
    "书记": "书记",
    "局长": "局长",
    "科长": "科长",
    "股长": "股长",
    "会计": "会计",
}
# Words ending in a surname's character that are no surname before a post (语文老师 is not
# a teacher called 文); cut out before people are looked for.
NOT_NAMES = [
    "语文",
    "数学",
    "英语",
    "物理",
    "化学",
    "生物",
    "历史",
    "地理",
    "政治",
    "道德",
    "体育",
    "音乐",
    "美术",
    "科学",
    "信息",
    "劳动",
    "心理",
    "书法",
    "舞蹈",
    "任课",
    "代课",
    "新来",
    "女",
    "男",
    "年轻",
    "实习",
    "生活",
    "宿管",
    "值班",
    "带班",
    "教导",
    "政教",
    "德育",
    "教务",
    "总务",
    "年级",
    "办公室",
    "后勤",
    "财务",
    "团委",
    "少先队",
    "高中",
    "初中",
    "小学",
    "幼儿园",
    "学校",
    "该校",
    "本校",
    "我校",
    "全校",
    "各位",
    "这位",
    "那位",
    "一位",
    "某位",
    "有位",
    "个别",
    "部分",
    "有些",
    "很多",
    "多名",
    "几位",
    "班级",
    "本班",
    "各班",
    "两位",
    "位",
]
# A given name is never one of these characters (高三老师, 初二班主任, 三班老师).
_NOT_GIVEN = set(
    "一二三四五六七八九十零〇两0123456789年级班课科的是在和与了说被把让给对向跟将也都就还又校园学生长师女男"
)

# Practices the campaign deals with, and the words people use for them (longest found first).
PRACTICES: dict[str, tuple[str, ...]] = {
    "补课": (
        "补课",
        "补习",
        "辅导班",
        "培训班",
        "补习班",
        "有偿家教",
        "家教",
        "开班",
        "私教",
        "上小课",
        "有偿辅导",
    ),
    "收费": ("收费", "收钱", "交钱", "缴费", "交费", "收取", "乱收费", "费用", "收了"),
    "资料": ("资料", "教辅", "练习册", "试卷", "习题", "辅导书", "课外书", "读物"),
    "体罚": (
        "体罚",
        "殴打",
        "打学生",
        "打孩子",
        "打了",
        "扇耳光",
        "耳光",
        "罚站",
        "罚跑",
        "打手心",
        "踢",
        "变相体罚",
        "动手打",
    ),
    "辱骂": ("辱骂", "骂", "侮辱", "讽刺", "挖苦", "羞辱", "言语暴力", "人身攻击", "嘲笑"),
    "收礼": (
        "购物卡",
        "购物券",
        "红包",
        "礼金",
        "礼品",
        "收礼",
        "送礼",
        "礼物",
        "代金券",
        "加油卡",
        "超市卡",
    ),
    "饮食": ("食堂", "饭菜", "午餐", "伙食", "午饭", "早餐", "晚餐", "营养餐", "餐费", "饭"),
    "食品安全": (
        "变质",
        "馊",
        "异味",
        "发霉",
        "拉肚子",
        "肚子疼",
        "食物中毒",
        "虫子",
        "不卫生",
        "过期",
    ),
    "价格": ("涨价", "提价", "太贵", "贵很多", "价格"),
    "质量": ("质量差", "劣质", "掉色", "开线", "破损", "质量问题"),
    "校服": ("校服",),
    "校车": ("校车", "接送车", "超载"),
    "座位": ("座位", "排座", "调座"),
    "推销": (
        "推销",
        "代购",
        "指定购买",
        "统一购买",
        "强制购买",
        "统一订购",
        "征订",
        "订购",
        "卖书",
        "售卖",
        "兜售",
        "卖给",
    ),
    "作业": ("作业",),
    "课后服务": ("课后服务", "延时服务", "托管", "晚托"),
    "招生": ("招生", "择校", "入学", "转学", "学籍", "借读", "分班"),
    "评优": ("评优", "评先", "三好学生", "优秀学生", "推荐名额", "职称", "评聘"),
    "纪律": ("打牌", "麻将", "玩手机", "迟到", "早退", "脱岗", "上班时间", "睡觉", "玩游戏"),
    "饮酒": ("喝酒", "饮酒", "酒驾", "醉酒", "宴请", "吃请", "大吃大喝"),
    "公车": ("公车", "公务用车", "私用"),
    "兼职": ("兼职", "在外任职", "经商", "办企业"),
    "手机": ("收手机", "没收手机", "手机被"),
    "成绩": ("排名", "名次", "公布成绩", "成绩单", "分数"),
    "安全": ("安全隐患", "危房", "消防", "漏水", "坍塌"),
    "推诿": ("推诿", "扯皮", "踢皮球", "刁难", "办事难", "不作为", "来回跑"),
    "假期": ("周末", "寒假", "暑假", "节假日", "假期", "双休"),
}
RARE = 100  # a word the dictionary counts fewer times than this may be a person's name
_PRACTICE_WORDS = sorted(
    ((w, p) for p, ws in PRACTICES.items() for w in ws), key=lambda pair: -len(pair[0])
)
_PRACTICE_OF = dict(_PRACTICE_WORDS)
# The practices that are only the circumstances of another (a fee is paid for something, a
# weekend is when, the canteen or the uniform is what it is about): two complaints do not
# differ by them alone.
CIRCUMSTANCES = frozenset({"收费", "假期", "资料", "饮食", "校服"})

# Words nearly every complaint uses; two different matters would
# share them. The duplicate check's character shingles leave out these (intake/similarity.py).
COMPLAINT_WORDS = frozenset(
    [
        "有关部门",
        "教育局",
        "班主任",
        "我家",
        "我们",
        "他们",
        "孩子",
        "学生",
        "老师",
        "家长",
        "学校",
        "希望",
        "反映",
        "投诉",
        "举报",
        "调查",
        "处理",
        "严肃",
        "查处",
        "问题",
        "情况",
        "每个",
        "每人",
        "要求",
        "相关",
        "领导",
    ]
)
# …and for the word-level comparison, the words of any text besides.
STOP_WORDS = COMPLAINT_WORDS | frozenset(
    [
        "自己",
        "没有",
        "现在",
        "已经",
        "可以",
        "不是",
        "这个",
        "那个",
        "什么",
        "还有",
        "一些",
        "一下",
        "一个",
        "时候",
        "而且",
        "但是",
        "因为",
        "所以",
        "如果",
        "这样",
        "还是",
        "就是",
        "不能",
        "不让",
        "不敢",
        "不知道",
        "请问",
        "谢谢",
        "麻烦",
        "尽快",
        "给予",
        "答复",
        "回复",
        "核实",
        "核查",
        "关注",
        "重视",
        "规定",
        "违规",
        "严重",
        "影响",
        "非常",
        "很多",
        "女士",
        "先生",
        "妈妈",
        "爸爸",
        "家长们",
        "孩子们",
        "同学",
        "同学们",
        "我们家",
        "本人",
        "市民",
        "来电",
        "来电人",
        "群众",
        "现在",
        "目前",
        "最近",
        "近期",
        "今天",
        "昨天",
        "上周",
        "本周",
        "本学期",
        "这学期",
        "一直",
        "多次",
        "经常",
        "总是",
        "明确",
        "公开",
        "小学",
        "中学",
        "初中",
        "高中",
        "学校里",
        "班里",
        "班上",
        "年级",
        "一年",
        "元",
        "块",
        "块钱",
    ]
)

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)"
_AMOUNT = re.compile(rf"({_NUM})\s*(?:多|余|来)?\s*(万元|万块|元钱|元|块钱|块)")
_GRADE = re.compile(r"([一二三四五六七八九]|\d{1,2})\s*年级|([初高])([一二三])(?![十百千万\d])")
_SEP = "\x00"


def cn_number(text: str) -> float | None:
    """The value of a number written in digits or Chinese numerals: "200", "二百", "两百五"
    (250, as people say it), "一千五" (1500), "十二", "三万". None when it is not a number."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total = section = 0
    digit: int | None = None
    last_unit = 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit, last_unit = 0, None, unit
                continue
            section += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            return None
    if digit is not None:
        # "两百五": a trailing digit after a unit is a tenth of that unit.
        section += digit * (last_unit // 10 if last_unit >= 100 else 1)
    return float(total + section)


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


KINDS = ("people", "amounts", "grades", "practices", "words")


@dataclass(frozen=True)
class Facts:
    people: frozenset[str]  # "李老师", "欧阳校长"
    amounts: frozenset[str]  # "200" (yuan)
    grades: frozenset[str]  # "3" (年级; 初一 = 7, 高一 = 10)
    practices: frozenset[str]  # "补课"
    words: frozenset[str]  # content words, practices by their name

    def to_json(self) -> dict[str, list[str]]:
        return {kind: sorted(getattr(self, kind)) for kind in KINDS}

    @classmethod
    def from_json(cls, data: dict[str, list[str]]) -> Facts:
        return cls(**{kind: frozenset(data.get(kind, ())) for kind in KINDS})

    def items(self) -> set[str]:
        """The facts as MinHash items, each kind with its own prefix."""
        return (
            {f"p:{x}" for x in self.people}
            | {f"a:{x}" for x in self.amounts}
            | {f"g:{x}" for x in self.grades}
            | {f"d:{x}" for x in self.practices}
            | {f"w:{x}" for x in self.words}
        )


def _cut(text: str, phrases: list[str]) -> str:
    for phrase in phrases:
        text = text.replace(phrase, _SEP)
    return text


_POST_PATTERN = "|".join(sorted(POSTS, key=len, reverse=True))
_SURNAME_PATTERN = "|".join([*COMPOUND_SURNAMES, *SURNAMES])
_PERSON = re.compile(
    rf"姓({_SURNAME_PATTERN})的?[\x00\u4e00-\u9fff]{{0,4}}?({_POST_PATTERN})"
    rf"|({_SURNAME_PATTERN})姓({_POST_PATTERN})"
    rf"|({_SURNAME_PATTERN})(某某|某|[\u4e00-\u9fff]{{0,2}}?)({_POST_PATTERN})"
    rf"|({_POST_PATTERN})({_SURNAME_PATTERN})某"
)
# A post written before a person who is named with a post again (班主任李老师).
_LEADING_POST = re.compile(
    rf"(?:{_POST_PATTERN})(?=(?:{_SURNAME_PATTERN})(?:某某|某|[\u4e00-\u9fff]{{0,2}}?)(?:{_POST_PATTERN}))"
)
_NOT_NAMES = sorted(NOT_NAMES, key=len, reverse=True)
_POSTS_LONGEST = sorted(POSTS, key=len, reverse=True)


def people(text: str, *, tokens: list[str] | None = None) -> set[str]:
    """Surname + post of the people a text names (see the module docstring). `tokens`: the
    text's words, if the caller has them already."""
    # 班主任李老师: the leading post is cut so that the surname is found before 老师.
    marked = _cut(text, _NOT_NAMES)
    marked = _LEADING_POST.sub(_SEP, marked)
    found: set[str] = set()
    for m in _PERSON.finditer(marked):
        if m.group(1):
            surname, post = m.group(1), m.group(2)
        elif m.group(3):
            surname, post = m.group(3), m.group(4)
        elif m.group(8):
            surname, post = m.group(9), m.group(8)
        else:
            surname, given, post = m.group(5), m.group(6), m.group(7)
            if any(ch in _NOT_GIVEN for ch in given):
                continue
        found.add(surname + POSTS[post])
    # 数学老师李明: a post, then a word that begins with a surname and that the dictionary
    # hardly knows (a name; 周末 and 高三 are common words).
    for before, name in pairwise(segment.words(text) if tokens is None else tokens):
        post = next((p for p in _POSTS_LONGEST if before.endswith(p)), None)
        if post is None or not 2 <= len(name) <= 4:
            continue
        surname = next((c for c in COMPOUND_SURNAMES if name.startswith(c)), name[0])
        given = name[len(surname) :]
        if (
            (surname in COMPOUND_SURNAMES or surname in SURNAMES)
            and given
            and not any(ch in _NOT_GIVEN for ch in given)
            and segment.frequency(name) < RARE
        ):
            found.add(surname + POSTS[post])
    return found


def amounts(text: str) -> set[str]:
    found: set[str] = set()
    for m in _AMOUNT.finditer(text):
        value = cn_number(m.group(1))
        if value is None or value == 0:
            continue
        if m.group(2).startswith("万"):
            value *= 10000
        found.add(_number_text(value))
    return found


def grades(text: str) -> set[str]:
    found: set[str] = set()
    for m in _GRADE.finditer(text):
        if m.group(1):
            value = cn_number(m.group(1))
            if value is not None and 1 <= value <= 12:
                found.add(_number_text(value))
        else:
            found.add(str({"初": 6, "高": 9}[m.group(2)] + int(cn_number(m.group(3)) or 0)))
    return found


def practices(text: str) -> set[str]:
    return {practice for word, practice in _PRACTICE_WORDS if word in text}


def _words(tokens: list[str]) -> set[str]:
    result: set[str] = set()
    for token in tokens:
        word = token.strip()
        if len(word) < 2 or not any(ch.isalpha() for ch in word) or word in STOP_WORDS:
            continue
        if _AMOUNT.fullmatch(word) or cn_number(word) is not None:
            continue
        result.add(_PRACTICE_OF.get(word, word))
    return result


def facts(text: str, *, drop: list[str] | tuple[str, ...] = ()) -> Facts:
    """The facts of a complaint, without the dropped phrases (the names of units)."""
    plain = unicodedata.normalize("NFKC", text or "").casefold()
    plain = _cut(plain, sorted({p for p in drop if p}, key=len, reverse=True))
    tokens = segment.words(plain)  # once: the words, and the names after a post
    return Facts(
        people=frozenset(people(plain, tokens=tokens)),
        amounts=frozenset(amounts(plain)),
        grades=frozenset(grades(plain)),
        practices=frozenset(practices(plain)),
        words=frozenset(_words(tokens)),
    )
