from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "qingfeng.core"
    verbose_name = _("基础设施")

    def ready(self) -> None:
        from django.core import checks
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate, post_save

        from qingfeng.core import (
            attachments,
            auditguard,
            notify,
            permissions,
            registry,
            status,
            tally,
            views,
        )
        from qingfeng.core.registry import HomeCard, MenuEntry, Section

        checks.register(auditguard.check_audit_protection, checks.Tags.database)
        checks.register(tally.check_tallies, checks.Tags.database)
        # Once per migrate (sent for each app; this one is core's): tallies a table rebuild
        # left without triggers get them back.
        post_migrate.connect(tally.ensure_all, sender=self, dispatch_uid="qingfeng.tallies")
        # Said once per process when it first reaches the database ("fall back loudly").
        connection_created.connect(auditguard.warn_once, dispatch_uid="qingfeng.auditguard")
        # Files a row names (an import workbook, a job's export, a rendered PDF), noted so that
        # the request or job removes them again if the row does not commit. Notes only.
        post_save.connect(attachments.note_saved_files, dispatch_uid="qingfeng.saved_files")

        registry.add_urls("core/", "qingfeng.core.urls")
        registry.add_job_handler(notify.DELIVER, notify.deliver, atomic=False)
        registry.add_home_card(
            HomeCard("calendar", "core/cards/calendar.html", 90, views.calendar_card)
        )
        registry.add_home_card(HomeCard("system", "core/cards/system.html", 95, status.card))
        system = Section.SYSTEM
        registry.add_menu_entry(MenuEntry("calendar", _("工作日历"), "core:calendar", system, 60))
        # The admin's own views carry no policy of ours: the entry shows to whom it opens for.
        registry.add_menu_entry(
            MenuEntry(
                "admin",
                _("系统设置"),
                "admin:index",
                system,
                70,
                visible=lambda user: permissions.can(user, "manage_settings"),
            )
        )
        registry.add_menu_entry(MenuEntry("audit", _("审计日志"), "core:audit", system, 80))
