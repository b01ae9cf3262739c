from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "qingfeng.evaluation"
    verbose_name = _("三评")

    def ready(self) -> None:
        from qingfeng.core import registry
        from qingfeng.core.registry import DemoSeeder, HomeCard, ImportLog, Section
        from qingfeng.evaluation import cards, demo, figures, panels, sources

        post_save.connect(_forget_round, sender="evaluation.Round", dispatch_uid="forget-round")
        registry.add_urls("evaluation/", "qingfeng.evaluation.urls")
        registry.add_urls("rate/", "qingfeng.evaluation.public_urls", public=True)
        # A dotted path: django-ninja imports the router when the API is built.
        registry.add_api_router("evaluation", "qingfeng.evaluation.api.router")
        registry.add_figures(figures.SOURCE)
        registry.add_import_log(
            ImportLog("evaluation", _("第三方评分导入"), "evaluation.ScoreImport")
        )
        registry.add_dashboard_panel(
            registry.DashboardPanel(
                "evaluation", "evaluate", 30, "evaluation/panels/verdicts.html", panels.verdicts
            )
        )
        registry.add_published_panel(
            registry.PublishedPanel(
                "evaluation", 30, "evaluation/panels/published.html", panels.published
            )
        )
        registry.add_problem_source(sources.RemedialSource())
        registry.add_home_card(
            HomeCard("evaluation", "evaluation/cards/overview.html", 30, cards.overview_card)
        )
        registry.add_home_card(
            HomeCard("assessor", "evaluation/cards/assessor.html", 30, cards.assessor_card)
        )
        registry.add_demo_seeder(
            DemoSeeder("evaluation", 30, seed=demo.demo_lines, has_data=demo.has_rounds)
        )
        registry.add_menu_section(
            Section.EVALUATE,
            (
                ("evaluation", _("评议轮次"), "evaluation:rounds"),
                ("remedials", _("回炉补课"), "evaluation:remedials"),
            ),
        )


def _forget_round(sender: Any, instance: Any, **_kwargs: Any) -> None:
    """A round saved here is read afresh by this process's rating pages (selectors)."""
    from qingfeng.evaluation.selectors import forget_round

    forget_round(instance.pk)
