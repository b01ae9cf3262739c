"""The campaign's focus areas as the first problem categories (editable afterwards)."""

from django.db import migrations

CATEGORIES = [
    "违规收受礼品礼金",
    "隐形变异公款吃喝",
    "形式主义官僚主义加重基层负担",
    "公车私用",
    "超标接待",
    "违规发放津补贴",
    "教辅材料违规征订",
    "校外培训隐形变异",
    "职称评审不正之风",
    "招生考试",
    "师德师风",
    "乱收费乱办班乱订资料",
    "工作纪律",
    "服务态度与效能",
    "其他",
]


def forwards(apps, schema_editor):
    Category = apps.get_model("ledger", "Category")
    for order, name in enumerate(CATEGORIES):
        Category.objects.get_or_create(name=name, defaults={"sort_order": order * 10})


def backwards(apps, schema_editor):
    apps.get_model("ledger", "Category").objects.filter(name__in=CATEGORIES, problems__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
