"""Redaction of personal data in free text — the one place that decides what of a person a
reader may see. Every page, API answer and export that shows a complaint, a problem or a
public text to someone who must not learn identities goes through :func:`redact`.

What is hidden, whatever the audience:

* numbers: mobiles, landlines and ID card numbers, also written with full-width digits
  (１３９…) or split by spaces, dashes and dots (139-1234-5678, 0571 8888 6666);
* the ``names`` the caller passes (a reporter's name, a responsible person's name).

What else depends on who reads (:class:`Audience`):

* ``STAFF`` — the bureau's intake roles, who may reveal the reporter anyway: numbers are
  masked as in lists (138****1234), the passed names as 张*, other names are shown.
* ``REPORTED_UNIT`` — the unit a complaint is about: numbers are replaced whole, and so is
  everything that points to the reporter: the passed names, a name after a self-introduction
  (我是孩子妈妈…, 本人…, 我叫…), the reporter's child and the child's class (我孩子…在高一三班),
  and every person who is not one of the unit's own ``roster`` (parents, pupils, 赵女士).
* ``PUBLIC`` — /progress/ and other public texts: every person name, roster staff included,
  except the ``keep`` allow-list a publisher confirmed.

A hidden name becomes 某某 (a surname with a title, 王老师, becomes 某老师; 欧阳女士 某女士), so
the text still reads and nothing of the name is left — not even its surname. Names are found
by: the roster and passed names (exact), a surname followed by a title (X女士/X先生/X老师/
X家长/X同学/X校长/X主任…, compound surnames 欧阳/司马/诸葛… included), self-introductions and
kinship words, and jieba's person-name tag (``nr``) when the word starts with a surname.
What it cannot know: a name jieba does not know, written without a title or introduction,
stays as written — the publisher's preview is the last check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from qingfeng.lib import segment
from qingfeng.lib.masking import mask_id_number, mask_name, mask_phone

SOMEONE = "某某"
SOMEONE_SHORT = "某"

COMPOUND_SURNAMES = [
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "司徒",
    "东方",
    "皇甫",
    "慕容",
    "夏侯",
    "尉迟",
    "公孙",
    "长孙",
    "宇文",
    "令狐",
    "端木",
    "南宫",
    "独孤",
    "百里",
    "呼延",
    "轩辕",
    "澹台",
    "西门",
    "申屠",
    "万俟",
    "闻人",
    "太史",
    "钟离",
    "赫连",
    "濮阳",
    "第五",
]
# The common single surnames (covering well over 90 % of people).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申"
    "欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴"
    "蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席"
    "卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
    "黃劉陳楊趙吳孫鄭謝馮鄧蔣蔡葉蘇盧鍾譚陸賈韋鄒龔"
)
# Titles after a surname that make it a person: 赵女士, 王老师, 欧阳主任.
TITLES = [
    "副校长",
    "副主任",
    "副书记",
    "副局长",
    "女士",
    "先生",
    "老师",
    "家长",
    "同学",
    "校长",
    "主任",
    "书记",
    "局长",
    "科长",
    "股长",
    "园长",
    "院长",
    "处长",
    "经理",
    "老板",
    "师傅",
    "阿姨",
    "叔叔",
    "教练",
    "教授",
    "医生",
    "会计",
    "大夫",
]
# Words that make a surname+name look-alike not a person (jieba tags some of them nr).
NOT_NAMES = frozenset(
    [
        "王府井",
        "谢谢",
        "高一",
        "高二",
        "高三",
        "高中",
        "初一",
        "初二",
        "初三",
        "初中",
        "周末",
        "周一",
        "周二",
        "周三",
        "周四",
        "周五",
        "周六",
        "周日",
        "周边",
        "周围",
        "周岁",
        "周期",
        "周转",
        "周到",
        "周密",
        "周全",
        "方面",
        "方式",
        "方法",
        "方案",
        "方便",
        "方向",
        "方针",
        "白天",
        "马上",
        "高度",
        "高考",
        "高级",
        "高效",
        "高兴",
        "常常",
        "常规",
        "常见",
        "向阳",
        "明天",
        "明年",
        "明确",
        "明显",
        "明白",
        "时间",
        "时候",
        "江南",
        "黄金",
        "金额",
        "石头",
        "安全",
        "安排",
        "安静",
        "全部",
        "全体",
        "全面",
        "全校",
        "应该",
        "应当",
        "应付",
        "师生",
        "师德",
        "师资",
        "商量",
        "商店",
        "文件",
        "文化",
        "文明",
        "和谐",
        "于是",
        "关于",
        "余额",
        "任何",
        "任务",
        "任课",
        "成绩",
        "成立",
        "成为",
        "成人",
        "单位",
        "单独",
        "单元",
        "曲线",
        "管理",
        "宁可",
        "简单",
        "司机",
        "连续",
        "包括",
        "包干",
        "华侨",
        "雷锋",
        "万元",
        "邓小平",
        "毛泽东",
        "江北",
        "林业",
        "陆续",
        "钱款",
        "华为",
        "黎明",
        "程序",
        "龙舟",
        "牛奶",
        "康复",
        "施工",
        "韩国",
        "田径",
        "丁点",
        "史上",
        "路上",
        "路边",
        "古诗",
        "董事",
        "申请",
        "齐全",
        "易于",
        "严格",
        "严重",
        "武术",
        "项目",
        "项目部",
        "车辆",
        "车费",
        "苗苗",
        "贺卡",
        "费用",
        "党员",
        "党委",
        "党建",
        "景区",
        "席位",
        "卫生",
        "米饭",
        "宗旨",
        "查处",
        "查看",
        "麻烦",
        "迟到",
        "甘肃",
        "温暖",
        "温度",
        "房子",
        "房间",
        "宫殿",
        "黄金周",
        "孔子",
        "孟子",
        "庄子",
        "老子",
        "毕业",
        "季度",
        "薛定谔",
        "包子",
        "谷歌",
        "左右",
        "柏油",
        "童年",
        "凌晨",
    ]
)
# Surnames that are also everyday words (向家长 = "to the parents"): taken as a surname only
# where jieba tags the character as part of a person's name.
AMBIGUOUS_SURNAMES = frozenset("向于和时全应成常安明文商师高单万方白石江金龙左路车项连尚申关")
# Compound surnames that are no everyday word, so "欧阳 + one or two characters" is a name.
DISTINCT_COMPOUNDS: tuple[str, ...] = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "司徒",
    "皇甫",
    "慕容",
    "夏侯",
    "尉迟",
    "令狐",
    "端木",
    "轩辕",
    "澹台",
    "申屠",
    "万俟",
    "钟离",
    "赫连",
    "宇文",
    "独孤",
    "呼延",
    "公孙",
    "长孙",
)
# Characters that end a given name or cannot be part of one before a title (高年级同学).
_NOT_GIVEN = set("一二三四五六七八九十年级班位些科体名群个的")
_PLACE_TAIL = "省市县区镇乡村路街道校园楼中小学院局所站馆"

_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])"
)
# Separators inside a number: a space, a dash or a dot, at most one between two digits.
_SEP = r"[ \-.\u00b7]?"
_MOBILE = re.compile(rf"(?<![\dA-Za-z])(?:\+?86{_SEP})?1[3-9](?:{_SEP}\d){{9}}(?!\d)")
_LANDLINE = re.compile(rf"(?<![\dA-Za-z])\(?0\d{{2,3}}\)?{_SEP}[2-9](?:{_SEP}\d){{6,7}}(?!\d)")
# A long run of digits after a word that announces a number (电话、手机、微信、QQ…).
_ANNOUNCED = re.compile(
    rf"(?:电话|手机|号码|联系方式|微信号?|QQ|qq|座机|身份证号?|证件号|卡号|Tel|tel)"
    rf"[^\d\n]{{0,6}}?(\d(?:{_SEP}\d){{4,}})"
)
_FULLWIDTH = {ord("０") + i: ord("0") + i for i in range(10)} | {
    ord("－"): ord("-"),
    ord("—"): ord("-"),
    ord("–"): ord("-"),
    ord("‐"): ord("-"),
    ord("．"): ord("."),
    ord("　"): ord(" "),
    ord("（"): ord("("),
    ord("）"): ord(")"),
    ord("＋"): ord("+"),
    ord("Ｘ"): ord("X"),
    ord("ｘ"): ord("x"),
}

_HANZI = r"\u4e00-\u9fa5"
_SURNAME_RE = "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + "".join(sorted(SURNAMES)) + "])"
_TITLE_RE = "(?:" + "|".join(sorted(TITLES, key=len, reverse=True)) + ")"
_TITLED = re.compile(rf"(?=({_SURNAME_RE})([{_HANZI}]{{0,2}}?)({_TITLE_RE}))")
_COMPOUND_NAME = re.compile("(?:" + "|".join(DISTINCT_COMPOUNDS) + rf")[{_HANZI}]{{1,2}}")
# Staff titles: for the unit reported on these are its own people, whom it may name.
STAFF_TITLES = frozenset(
    ["副校长", "副主任", "副书记", "老师", "校长", "主任", "书记", "园长", "局长", "科长", "股长"]
)

# 我是孩子妈妈 / 本人 / 我叫 / 孩子的爸爸 … followed by a name.
_RELATION = r"(?:妈妈|爸爸|母亲|父亲|家长|爷爷|奶奶|外公|外婆|姥姥|姥爷|监护人)"
_SELF = re.compile(
    rf"(?:我是|我叫|我的名字是|本人是?|本人名叫|本人姓名|我姓名|署名|联系人|反映人|举报人)"
    rf"[:：，, ]?(?:[{_HANZI}]{{0,8}}?(?:孩子|学生|小孩|女儿|儿子)的?{_RELATION}|{_RELATION})?"
    rf"[:：， ]?"
)
_KIN = re.compile(
    r"(?:我|我家|我们家)(?:的)?(?:孩子|小孩|女儿|儿子|孙子|孙女|外孙|外孙女|闺女)"
    r"[:：，, ]?(?:叫|名叫|是)?"
)
_CLASS = re.compile(
    r"(?:[高初][一二三123](?:年级)?|[一二三四五六七八九123456789]年级)[（(]?"
    r"[一二三四五六七八九十\d]{1,3}[）)]?班"
    r"|(?<![一二三四五六七八九十\d])[一二三四五六七八九十\d]{1,3}班"
)
_STOP_AFTER_NAME = set(
    "的在是了和与及也就都说讲反映向被把对给让要想去来从到今昨前后上下里中，。、；：！？,.;:!? \n"
)


class Audience(StrEnum):
    STAFF = "staff"
    REPORTED_UNIT = "reported_unit"
    PUBLIC = "public"


@dataclass(frozen=True)
class Found:
    """A stretch of the text to hide: [start, end) and what it becomes."""

    start: int
    end: int
    replacement: str
    kind: str  # number / name
    label: str = ""  # the name as a publisher would confirm it (王老师, not 王)


def normalise(text: str) -> str:
    """Full-width digits and separators as ASCII, one character for one, so that positions
    found in the result are positions in the original."""
    return text.translate(_FULLWIDTH)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _mask_number(original: str, *, whole: bool, id_number: bool = False) -> str:
    if whole:
        return re.sub(r"[0-9０-９Xx]", "*", original)
    digits = _digits(normalise(original))
    return mask_id_number(digits) if id_number else mask_phone(digits)


def _numbers(text: str, *, whole: bool) -> list[Found]:
    norm = normalise(text)
    found: list[Found] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, id_number: bool = False) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        replacement = _mask_number(text[start:end], whole=whole, id_number=id_number)
        found.append(Found(start, end, replacement, "number"))

    for m in _ID_NUMBER.finditer(norm):
        add(m.start(), m.end(), id_number=True)
    for pattern in (_MOBILE, _LANDLINE):
        for m in pattern.finditer(norm):
            add(m.start(), m.end())
    for m in _ANNOUNCED.finditer(norm):
        if len(_digits(m.group(1))) >= 5:
            add(m.start(1), m.end(1))
    return found


def _is_surname_start(word: str) -> bool:
    return word[:2] in COMPOUND_SURNAMES or word[:1] in SURNAMES


def _plausible_name(word: str) -> bool:
    if not 2 <= len(word) <= 4 or word in NOT_NAMES or not re.fullmatch(f"[{_HANZI}]+", word):
        return False
    if word[-1] in _PLACE_TAIL and len(word) >= 3:
        return False
    return _is_surname_start(word)


def _name_after(text: str, start: int, boundaries: dict[int, tuple[str, str]]) -> int:
    """End of the name that starts at `start` (after 我是…/我孩子…), or `start` for none."""
    token = boundaries.get(start)
    tagged = 0
    if token is not None and token[1] in {"nr", "nrfg", "nrt"} and 2 <= len(token[0]) <= 4:
        tagged = len(token[0])
        while tagged > 1 and _title_at(text, start + tagged - 1):
            tagged -= 1
    head = text[start : start + 2]
    surname = 2 if head in COMPOUND_SURNAMES else 1 if head[:1] in SURNAMES else 0
    if not surname:
        return start + tagged
    end = start + surname
    # Up to two given-name characters, stopping at a word that cannot be part of a name.
    while end < len(text) and end - start < surname + 2:
        ch = text[end]
        if not re.match(f"[{_HANZI}]", ch) or ch in _STOP_AFTER_NAME or _title_at(text, end):
            break
        end += 1
    return max(end if end - start >= surname + 1 else start, start + tagged)


def _tokens(text: str) -> list[tuple[int, str, str]]:
    out, pos = [], 0
    for word, tag in segment.tagged(text):
        out.append((pos, word, tag))
        pos += len(word)
    return out


def find(
    text: str,
    *,
    names: Iterable[str] = (),
    audience: Audience = Audience.STAFF,
    roster: Iterable[str] = (),
    keep: Iterable[str] = (),
) -> list[Found]:
    """Everything :func:`redact` would hide in `text`, in order, without overlaps."""
    whole = audience != Audience.STAFF
    hidden = {n.strip() for n in names if n and len(n.strip()) >= 2}
    known = {n.strip() for n in roster if n and len(n.strip()) >= 2}
    kept = {n.strip() for n in keep if n and n.strip()}
    if known or hidden:
        segment.add_words(sorted(known | hidden), tag="nr")

    found = _numbers(text, whole=whole)

    def name_found(start: int, end: int, replacement: str | None = None, label: str = "") -> None:
        word = text[start:end]
        if replacement is None:
            replacement = mask_name(word) if not whole else SOMEONE
        found.append(Found(start, end, replacement, "name", label or word))

    # The names the caller says must go, exactly as written.
    for name in sorted(hidden, key=len, reverse=True):
        for m in re.finditer(re.escape(name), text):
            name_found(m.start(), m.end())
    if audience == Audience.STAFF:
        return _resolve(found)

    tokens = _tokens(text)
    starts = {pos: (word, tag) for pos, word, tag in tokens}

    def shown(word: str) -> bool:
        if word in hidden:
            return False
        if word in kept:
            return True
        return audience == Audience.REPORTED_UNIT and word in known

    # Self-introductions and the reporter's child (and the child's class): the reporter,
    # whoever they are, roster or not.
    for pattern in (_SELF, _KIN):
        for m in pattern.finditer(text):
            end = _name_after(text, m.end(), starts)
            if end > m.end() and not shown(text[m.end() : end]):
                name_found(m.end(), end)
            window = text[m.start() : end + 16]
            for c in _CLASS.finditer(window):
                at = m.start() + c.start()
                found.append(Found(at, at + len(c.group()), "某班", "class", c.group()))

    # People the system knows, by full name.
    for name in sorted(known, key=len, reverse=True):
        if shown(name):
            continue
        for m in re.finditer(re.escape(name), text):
            name_found(m.start(), m.end())

    # A surname, maybe a given name, and a title: 赵女士, 王丽老师, 欧阳敏轩家长 — unless the
    # letters form an everyday word (关于家长, 许多家长, 历史老师, 任课老师).
    for m in _TITLED.finditer(text):
        start, surname, given, title = m.start(), m.group(1), m.group(2), m.group(3)
        if not _titled_is_person(text, start, surname, given, starts):
            continue
        end = start + len(surname) + len(given)
        label = surname + given + title
        if shown(surname + given) or shown(label):
            continue
        if audience == Audience.REPORTED_UNIT and title in STAFF_TITLES:
            continue
        if given:
            name_found(start, end, SOMEONE, label)
        else:
            name_found(start, end, SOMEONE_SHORT, label)

    # 欧阳敏轩, 上官子霞: a compound surname that is no everyday word starts a name.
    for m in _COMPOUND_NAME.finditer(text):
        end = m.start() + 2
        while end < m.end() and text[end] not in _STOP_AFTER_NAME and not _title_at(text, end):
            end += 1
        word = text[m.start() : end]
        unit_knows = audience == Audience.REPORTED_UNIT and word in known
        if end - m.start() >= 3 and not shown(word) and word not in NOT_NAMES and not unit_knows:
            name_found(m.start(), end)

    # Person names jieba recognises (with the roster taught to it), when they start with a
    # surname; a compound surname tagged as a place followed by a given name is one name.
    for i, (pos, word, tag) in enumerate(tokens):
        candidate = word
        if word in COMPOUND_SURNAMES and i + 1 < len(tokens) and tokens[i + 1][2].startswith("n"):
            nxt = tokens[i + 1][1]
            if 1 <= len(nxt) <= 2 and re.fullmatch(f"[{_HANZI}]+", nxt):
                candidate = word + nxt
                tag = "nr"
        if (
            tag == "nr"
            and len(word) == 1
            and word in SURNAMES
            and word not in AMBIGUOUS_SURNAMES
            and i + 1 < len(tokens)
        ):
            nxt, nxt_tag = tokens[i + 1][1], tokens[i + 1][2]
            if (
                1 <= len(nxt) <= 2
                and re.fullmatch(f"[{_HANZI}]+", nxt)
                and nxt[0] not in _STOP_AFTER_NAME
                and nxt_tag[:1] in {"n", "a", "i"}
            ):
                candidate = word + nxt  # jieba's 胡 + 文明
        if tag not in {"nr", "nrfg", "nrt"}:
            continue
        if candidate.endswith(tuple(TITLES)) and len(candidate) > 2:
            continue  # 王老师 is handled with its title above
        if not (_plausible_name(candidate) or candidate != word) or shown(candidate):
            continue
        end = pos + len(candidate)
        # jieba cuts 诸葛亮亮 as 诸葛亮 + 亮: a compound surname takes up to two more.
        if candidate[:2] in COMPOUND_SURNAMES and len(candidate) == 3 and end < len(text):
            nxt = text[end]
            if (
                re.match(f"[{_HANZI}]", nxt)
                and nxt not in _STOP_AFTER_NAME
                and not _title_at(text, end)
            ):
                end += 1
        name_found(pos, end)
    return _resolve(found)


def _title_at(text: str, at: int) -> bool:
    return text.startswith(tuple(TITLES), at)


def _titled_is_person(
    text: str, start: int, surname: str, given: str, starts: dict[int, tuple[str, str]]
) -> bool:
    if any(ch in _NOT_GIVEN or ch in _STOP_AFTER_NAME for ch in given):
        return False
    candidate = surname + given
    if candidate in NOT_NAMES:
        return False
    token = starts.get(start)
    person_tag = token is not None and token[1] in {"nr", "nrt", "nrfg"}
    if given and segment.is_word(candidate) and not person_tag:
        return False  # 许多, 全体, 任课, 常务
    prev = text[start - 1] if start else ""
    if prev and segment.is_word(prev + surname) and not person_tag:
        return False  # 关于, 历史, 语文
    return not (surname in AMBIGUOUS_SURNAMES and not given and not person_tag)


def _starts_inside_name(start: int, tokens: list[tuple[int, str, str]]) -> bool:
    """jieba joins 张老师 or 李秀芳女士 as one word: the title match starts inside it."""
    for pos, word, tag in tokens:
        if pos <= start < pos + len(word):
            return tag in {"nr", "nrfg", "nrt"} and pos == start
    return False


def _resolve(found: list[Found]) -> list[Found]:
    """Earliest first; of overlapping finds the longer wins."""
    chosen: list[Found] = []
    for f in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if chosen and f.start < chosen[-1].end:
            continue
        chosen.append(f)
    return chosen


def redact(
    text: str,
    *,
    names: Iterable[str] = (),
    audience: Audience = Audience.STAFF,
    roster: Iterable[str] = (),
    keep: Iterable[str] = (),
) -> str:
    """`text` with personal data hidden for `audience` (see the module's docstring).

    ``names`` are always hidden (the reporter, a responsible person); ``roster`` are the
    people the system knows around the unit (shown to the unit itself, hidden from the
    public); ``keep`` are names a publisher confirmed may be shown.
    """
    if not text:
        return text or ""
    parts, last = [], 0
    for f in find(text, names=names, audience=audience, roster=roster, keep=keep):
        parts.append(text[last : f.start])
        parts.append(f.replacement)
        last = f.end
    parts.append(text[last:])
    return "".join(parts)


def person_names(text: str, *, roster: Iterable[str] = ()) -> list[str]:
    """The person names a public text would lose, in order, once each: what a publisher is
    asked to confirm before any of them is kept."""
    seen: dict[str, None] = {}
    for f in find(text, audience=Audience.PUBLIC, roster=roster):
        if f.kind == "name":
            seen.setdefault(f.label, None)
    return list(seen)
