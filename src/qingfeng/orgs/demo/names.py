"""Made-up names for the demo: common surnames and given-name characters, place-name
syllables, school brands, posts. Region codes start with 99, which no real province has."""

from __future__ import annotations

import itertools


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- Names --------------------------------------------------------------------------------
# The most common surnames, roughly by frequency (weights fall off down the list).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
)
SURNAME_WEIGHTS = tuple(itertools.accumulate(1.0 / (1 + i / 8) for i in range(len(SURNAMES))))
MALE = "伟强磊军勇杰涛斌浩鹏宇辉超明刚健俊峰亮飞波晨博文志建海东林凯旭阳帆瑞鑫彬昊宁翔良成坤"
FEMALE = "芳娜敏静丽艳娟霞秀玲燕红梅琳雪婷慧颖倩洁琴萍丹蓉晶妍欣怡佳悦璐菲莉薇媛露瑶蕾月萌"
EITHER = "晓文雨子思嘉一诗梓睿春秋冬锦清心言书素安新永世向小国"
# Public figures a random draw could produce; such a draw is simply repeated.
FAMOUS = frozenset(
    words(
        "李娜 李宁 王菲 张杰 刘翔 朱婷 林丹 赵薇 刘涛 王凯 李晨 黄磊 杨坤 汪峰 李健 韩红 韩磊 雷军 丁磊 "
        "姚明 王晨 胡春华 黄坤明 李书磊 宋丹丹 蒋欣 赵丽颖 许海峰 程菲 杨倩 陈坤"
    )
)

# --- Places -------------------------------------------------------------------------------
CITIES = ("澜州", "桐川", "岚阳", "檀溪", "云泽", "星沅", "澄江", "宁湾")
PROVINCE = "澜江省"
PLACE_1 = "清云桐柳松梅兰竹青白金玉丰安平宁永长新石龙凤鹤鸣瑞祥和嘉德明秀翠碧溪澄"
PLACE_2 = "河溪江塘山岭湖川原阳林泉桥水源坪湾洲冈峰谷"
TOWN_1 = "石柳马杨李王张新黄白高龙双三大小东西南北沙桃枣梨杏麻汪潘陈何铁金柏槐官太"
TOWN_2 = "桥林坊庄集店岗铺营寨湾口河埠坝塘岭坪寺堡楼圩关"
STREETS = words(
    "城东 城西 城南 城北 滨江 湖滨 新城 东关 西关 南关 北关 望湖 锦绣 凤鸣 龙门 文昌 翠屏 "
    "白鹭 江南 府前 迎春 金桥 沿河 桂花"
)
ROADS = words(
    "人民路 解放路 建设路 和平路 文化路 胜利路 光明路 新华路 朝阳路 东风路 红旗路 中山路 "
    "长江路 育才路 迎宾路 青年路 民主路 府前路 南湖路 环城路"
)
PRIVATE_KG = words(
    "阳光 童心 蓓蕾 小太阳 金色童年 七色花 小天使 启智 育苗 贝贝 彩虹 小白鸽 春苗 快乐宝贝 "
    "新芽 星星 博雅 爱心 蒲公英 小橡树"
)
NUMBERS = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals, as in 第十二中学."""
    if n <= 10:
        return NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else NUMBERS[tens - 1]
    return head + "十" + (NUMBERS[ones - 1] if ones else "")


MOBILE_PREFIXES = words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 173 175 "
    "176 177 180 181 182 183 185 186 187 188 189 191 198 199"
)
SUPPORT_POSTS = ("实验员", "图书管理员", "校医", "会计", "出纳", "信息技术管理员", "档案管理员")
WORKER_POSTS = ("门卫", "炊事员", "保洁员", "宿管员", "司机", "水电工")
CIVIL_POSTS = ("一级科员", "二级科员", "四级主任科员", "三级主任科员", "科员", "")
