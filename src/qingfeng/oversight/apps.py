from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "qingfeng.oversight"
    verbose_name = _("督导巡察")

    def ready(self) -> None:
        from qingfeng.core import registry
        from qingfeng.core.registry import DemoSeeder, Section
        from qingfeng.oversight import demo, figures, sources

        registry.add_urls("oversight/", "qingfeng.oversight.urls")
        registry.add_urls("notice/", "qingfeng.oversight.public_urls", public=True)
        registry.add_api_router("oversight", "qingfeng.oversight.api.router")
        registry.add_problem_source(sources.VisitSource())
        registry.add_problem_source(sources.RoundSource())
        registry.add_figures(figures.SOURCE)
        registry.add_demo_seeder(
            DemoSeeder(
                "oversight",
                40,
                seed=demo.demo_lines,
                has_data=demo.has_data,
                logins_help=demo.LOGINS_HELP,
            )
        )
        registry.add_menu_section(
            Section.CHECK,
            (
                ("oversight_visits", _("督导（四不两直）"), "oversight:visits"),
                ("oversight_groups", _("督导组"), "oversight:groups"),
                ("oversight_rounds", _("巡察"), "oversight:rounds"),
                ("oversight_draws", _("双随机抽取"), "oversight:draws"),
                ("oversight_liaison", _("包片联系"), "oversight:liaison"),
                ("oversight_observers", _("观察员"), "oversight:observers"),
                ("oversight_observer", _("观察员工作台"), "oversight:observer"),
            ),
        )
