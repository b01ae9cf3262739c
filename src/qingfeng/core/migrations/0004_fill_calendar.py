"""Seed the official holiday and make-up working-day schedule from chinese-calendar.

Its data ends with 2026; later years are entered by an admin when the State Council
publishes them (Django admin → 节假日与调休).
"""

from django.db import migrations

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def forwards(apps, schema_editor):
    import chinese_calendar

    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarYear = apps.get_model("core", "CalendarYear")
    days = []
    for day, name in chinese_calendar.holidays.items():
        days.append(CalendarDay(date=day, is_workday=False, name=NAMES.get(name, name)))
    for day, name in chinese_calendar.workdays.items():
        label = NAMES.get(name, name)
        days.append(CalendarDay(date=day, is_workday=True, name=f"{label}调休上班"))
    CalendarDay.objects.bulk_create(days, batch_size=500, ignore_conflicts=True)
    years = sorted({d.date.year for d in days})
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=y, source="chinese-calendar") for y in years], ignore_conflicts=True
    )


def backwards(apps, schema_editor):
    apps.get_model("core", "CalendarDay").objects.all().delete()
    apps.get_model("core", "CalendarYear").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
