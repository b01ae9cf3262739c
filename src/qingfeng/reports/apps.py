from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "qingfeng.reports"
    verbose_name = _("通报")

    def ready(self) -> None:
        from qingfeng.core import registry
        from qingfeng.core.registry import DemoSeeder, HomeCard, Section
        from qingfeng.reports import actions, dashboard, demo, monthly, panels

        registry.add_urls("reports/", "qingfeng.reports.urls")
        registry.add_urls("dashboard/", "qingfeng.reports.dashboard_urls")
        registry.add_api_router("reports", "qingfeng.reports.api.router")
        registry.add_job_handler("reports.render_pdf", actions.render_pdf, atomic=False)
        registry.add_job_handler(monthly.JOB, monthly.run_job, atomic=False)
        registry.add_demo_seeder(
            DemoSeeder("reports", 50, seed=demo.demo_lines, has_data=demo.has_bulletins)
        )
        registry.add_dashboard_panel(
            registry.DashboardPanel(
                "rhythm", "report", 90, "reports/panels/rhythm.html", panels.rhythm
            )
        )
        registry.add_home_card(
            HomeCard("dashboard", "reports/cards/dashboard.html", 15, dashboard.home_card)
        )
        registry.add_menu_section(
            Section.REPORT,
            (
                ("dashboard", _("驾驶舱"), "dashboard:index"),
                ("bulletins", _("月通报"), "reports:bulletins"),
            ),
        )
