"""Write bench/data/masking_corpus.json: complaints as parents and citizens write them, with
the identifiers planted in each recorded beside it.

    .venv/bin/python bench/make_masking_corpus.py

Each entry: ``text``; ``numbers`` (phone and ID numbers as written — full-width digits,
spaces, dashes, dots); ``names`` (every person the text names, as written: 李秀芳, 赵女士);
``words`` (ordinary words that must survive masking: 学校, 老师, 王府井, 高一三班…). The
names are made up from common surnames and given-name characters. Seeded, so the file is
the same on every run; the tests and bench/masking.py read the file, not this script.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "masking_corpus.json"

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡")
COMPOUND = ["欧阳", "司马", "诸葛", "上官", "司徒"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文晓燕子涵浩然雨欣梓轩")
TITLES_PARENT = ["女士", "先生", "家长"]
TITLES_STAFF = ["老师", "校长", "主任", "副校长"]
FW = str.maketrans("0123456789", "０１２３４５６７８９")


def name(rng: random.Random, *, length: int | None = None) -> str:
    if rng.random() < 0.18:
        surname = rng.choice(COMPOUND)
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
    else:
        surname = rng.choice(SURNAMES)
        n = (length or rng.choice([2, 3, 3, 3])) - 1
        given = "".join(rng.choice(GIVEN) for _ in range(n))
    return surname + given


def mobile(rng: random.Random) -> str:
    digits = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    style = rng.choice(["plain", "space", "dash", "dot", "fw", "fw_space"])
    if style in {"space", "fw_space"}:
        digits = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    elif style == "dash":
        digits = f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    elif style == "dot":
        digits = f"{digits[:3]}.{digits[3:7]}.{digits[7:]}"
    return digits.translate(FW) if style.startswith("fw") else digits


def landline(rng: random.Random) -> str:
    area = rng.choice(["010", "021", "0571", "0755", "0371", "0898"])
    local = rng.choice("2345678") + "".join(rng.choice("0123456789") for _ in range(7))
    text = rng.choice([f"{area}-{local}", f"{area} {local}", f"（{area}）{local}", area + local])
    return text.translate(FW) if rng.random() < 0.3 else text


def id_number(rng: random.Random) -> str:
    body = (
        rng.choice(["110105", "330106", "440304", "410102", "510107"])
        + str(rng.randint(1965, 2012))
        + f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        + "".join(rng.choice("0123456789") for _ in range(3))
    )
    body += rng.choice("0123456789X")
    return body.translate(FW) if rng.random() < 0.4 else body


# (template, ordinary words in it). {P} a parent's full name, {C} a child's name, {T} a staff
# member's full name, {S}{t} surname + title, {M} mobile, {L} landline, {I} ID number.
TEMPLATES = [
    (
        "我是孩子妈妈{P}，孩子在高一三班，班主任收了家长的购物卡，请调查。电话{M}",
        ["班主任", "购物卡", "调查"],
    ),
    ("本人{P}，身份证号{I}，反映学校食堂饭菜质量差，价格还涨了。", ["学校", "食堂", "价格"]),
    (
        "我叫{P}，我家孩子{C}在初二（3）班，{S}{t}周末在校外有偿补课，每人每月收费800元。",
        ["周末", "有偿补课"],
    ),
    (
        "家长{S}女士反映，{T}老师上课经常玩手机，对学生态度粗暴。联系电话：{M}",
        ["上课", "手机", "学生"],
    ),
    ("{T}副校长在王府井附近开了一家培训机构，动员学生去报名。", ["王府井", "培训机构", "报名"]),
    ("我是{C}的爸爸，{T}在课堂上体罚学生，孩子回家后一直哭。我的手机{M}", ["课堂", "体罚", "回家"]),
    (
        "学校要求家长必须在指定书店购买教辅资料，{S}主任说不买就不能参加考试。",
        ["指定书店", "教辅资料", "考试"],
    ),
    ("反映人{P}，座机{L}。{T}老师收受家长红包，金额不小。", ["收受", "红包", "金额"]),
    (
        "孩子{C}被{S}老师罚站了一整节课，家长{S2}先生已经找过学校，没有结果。",
        ["罚站", "学校", "结果"],
    ),
    (
        "本人是{C}同学的家长，班主任{T}让家长群里每人交200元班费，没有账目。",
        ["家长群", "班费", "账目"],
    ),
    ("{S}家长和{S2}女士都反映，学校午餐分量少，菜品单一。请联系我{M}。", ["午餐", "分量", "菜品"]),
    ("我们是向阳小学五年级的家长，{T}主任多次在家长会上推销保险。", ["向阳小学", "家长会", "保险"]),
    ("举报人{P}，身份证{I}，电话{M}。举报{T}校长违规收取择校费。", ["违规", "择校费"]),
    ("我叫{P}，是城关中学的老师，学校克扣我们的绩效工资。电话 {M}", ["城关中学", "绩效工资"]),
    ("{S}先生来电反映，孩子所在的幼儿园{T}园长私自提高收费标准。回电{L}", ["幼儿园", "收费标准"]),
    ("孩子说{S}同学经常被{T}老师点名批评，还被要求写检讨。", ["点名批评", "检讨"]),
    (
        "我女儿{C}在实验中学高二（5）班，{T}老师强制学生订阅报刊。我是她妈妈，电话{M}",
        ["实验中学", "订阅报刊"],
    ),
    ("校车司机超载，{S}师傅说是学校安排的。家长{P}，{M}", ["校车", "超载", "安排"]),
    ("学校门口的小卖部卖三无食品，{T}主任收了店主的好处。", ["门口", "小卖部", "三无食品"]),
    ("{P}家长反映：{T}老师利用职务之便向家长推销商品。联系方式{M}", ["职务", "推销", "商品"]),
    ("{S}校长在教师节收受礼品，家长{S2}女士可以作证，她的电话是{M}。", ["教师节", "礼品", "作证"]),
    ("请教育局调查{T}，他在招生中收钱，我儿子{C}就是这样进去的。", ["教育局", "招生", "收钱"]),
    ("我是家长{P}，要求学校公开伙食费账目。我的身份证号码是{I}", ["伙食费", "账目", "公开"]),
    (
        "初三年级{T}老师周六周日组织补课，每节课收费100元，联系电话{L}",
        ["初三年级", "周六", "每节课"],
    ),
    ("{S}主任和{T}老师在学校附近开辅导班，学生不去就被冷落。", ["附近", "辅导班", "冷落"]),
]
# Texts with no person and no number: what masking must leave as it is.
CLEAN = [
    (
        "学校老师周末组织有偿补课，每人收费两千元，希望教育局尽快处理，谢谢。",
        ["学校", "老师", "周末", "谢谢"],
    ),
    ("王府井附近的培训机构晚上十点还在上课，影响学生休息。", ["王府井", "培训机构", "学生"]),
    ("高一三班的班主任经常拖堂，学生吃不上热饭。", ["高一三班", "班主任", "拖堂"]),
    ("食堂的价格比去年涨了一倍，分量反而少了。", ["食堂", "价格", "分量"]),
    ("学校要求家长在指定平台购买校服，价格高于市场价。", ["家长", "校服", "市场价"]),
    ("关于家长反映的问题，学校已经召开专题会议研究。", ["关于", "家长", "专题会议"]),
    ("校门口交通拥堵，建议安排专人疏导，保障安全。", ["校门口", "交通", "安全"]),
    ("向阳小学操场改造工程进度缓慢，已经拖了半年。", ["向阳小学", "操场", "工程"]),
    ("班主任说周五之前必须交齐资料费，一共120元。", ["班主任", "周五", "资料费"]),
    ("城关镇中心学校的宿舍冬天没有暖气。", ["城关镇", "宿舍", "暖气"]),
    ("希望学校明确作业量，初二年级每天作业要写到十一点。", ["作业", "初二年级"]),
    ("黄金周期间学校组织学生到江南古镇研学，费用自理。", ["黄金周", "江南", "研学"]),
    ("老师上课时间玩手机，学生无人管理。", ["老师", "手机", "管理"]),
    ("学校周边的网吧接纳未成年人，请相关部门检查。", ["周边", "网吧", "未成年人"]),
    ("校长办公室的门一直关着，家长反映问题找不到人。", ["校长", "办公室"]),
    ("学校安排高三学生周日返校自习，是否符合规定？", ["高三", "周日", "自习"]),
    ("实验中学的图书馆长期不开放，图书都落灰了。", ["实验中学", "图书馆"]),
    ("三年级2班的家委会要求每人交500元，用途不明。", ["三年级2班", "家委会", "用途"]),
    ("教务处主任说这是学校的统一安排。", ["教务处", "主任", "统一安排"]),
    ("家长会上老师推荐了一本练习册，没有强制购买。", ["家长会", "练习册", "强制"]),
]


def fill(rng: random.Random, template: str) -> dict[str, object]:
    numbers: list[str] = []
    names: list[str] = []
    values: dict[str, str] = {}
    used_surnames: set[str] = set()
    for key in ("P", "C", "T"):
        if "{" + key + "}" in template:
            values[key] = name(rng, length=3 if key == "C" else None)
            names.append(values[key])
    for key in ("S", "S2"):
        if "{" + key + "}" in template:
            surname = rng.choice([s for s in SURNAMES + COMPOUND if s not in used_surnames])
            used_surnames.add(surname)
            values[key] = surname
    if "{t}" in template:
        values["t"] = rng.choice(TITLES_PARENT + TITLES_STAFF)
    for key, make in (("M", mobile), ("L", landline), ("I", id_number)):
        if "{" + key + "}" in template:
            values[key] = make(rng)
            numbers.append(values[key])
    text = template.format(**values)
    # A surname planted before a title is identified by both: 赵女士, 欧阳老师.
    import re

    for key in ("S", "S2"):
        if key in values:
            m = re.search(
                re.escape(values[key]) + r"(女士|先生|老师|校长|主任|副校长|家长|同学|师傅)", text
            )
            if m:
                names.append(m.group())
    return {"text": text, "numbers": numbers, "names": names}


def main() -> None:
    rng = random.Random(20261206)
    corpus = []
    for round_ in range(4):
        for template, words in TEMPLATES:
            entry = fill(rng, template)
            entry["words"] = words
            corpus.append(entry)
        del round_
    for text, words in CLEAN:
        corpus.append({"text": text, "numbers": [], "names": [], "words": words})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(corpus, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(corpus)} texts -> {OUT}")


if __name__ == "__main__":
    main()
