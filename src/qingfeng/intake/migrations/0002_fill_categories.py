"""Ticket categories from the campaign's focus areas, with the default working-day limits."""

from django.db import migrations

CATEGORIES = [
    ("乱收费乱办班乱订资料", "收费\n补课\n辅导班\n教辅\n资料费\n订购"),
    ("违规收受礼品礼金", "红包\n礼品\n礼金\n购物卡\n收礼"),
    ("师德师风", "体罚\n辱骂\n有偿补课\n歧视\n师德"),
    ("招生入学", "招生\n入学\n择校\n学位\n转学"),
    ("公款吃喝与公车私用", "吃喝\n宴请\n公车\n接待"),
    ("形式主义官僚主义", "形式主义\n打卡\n填表\n留痕\n推诿"),
    ("校园安全与食堂", "食堂\n饭菜\n安全\n校车"),
    ("服务态度与效能", "态度\n拖延\n不作为\n办事难"),
    ("其他", ""),
]


def forwards(apps, schema_editor):
    TicketCategory = apps.get_model("intake", "TicketCategory")
    for order, (name, keywords) in enumerate(CATEGORIES):
        TicketCategory.objects.get_or_create(name=name, defaults={"keywords": keywords, "sort_order": order * 10})


def backwards(apps, schema_editor):
    apps.get_model("intake", "TicketCategory").objects.filter(tickets__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
