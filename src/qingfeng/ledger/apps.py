from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "qingfeng.ledger"
    verbose_name = _("整改台账")

    def ready(self) -> None:
        from qingfeng.core import registry
        from qingfeng.core.registry import DemoSeeder, HomeCard, ImportLog, Section
        from qingfeng.ledger import cards, demo, evidence, figures
        from qingfeng.ledger.actions import retention
        from qingfeng.ledger.excel import work
        from qingfeng.ledger.models import PROBLEM_SEARCH, PROBLEM_TALLY

        registry.add_urls("ledger/", "qingfeng.ledger.urls")
        registry.add_text_index(PROBLEM_SEARCH)
        registry.add_tally(PROBLEM_TALLY)
        registry.add_retention_rule(retention.RULE)
        work.register()
        registry.add_urls("progress/", "qingfeng.ledger.public_urls", public=True)
        registry.add_figures(figures.SOURCE)
        registry.add_import_log(ImportLog("ledger", _("台账导入"), "ledger.LedgerImport"))
        # A campaign task done by the problems of a list closed (campaigns/evidence.py).
        registry.add_task_evidence(evidence.EVIDENCE)
        registry.add_home_card(
            HomeCard("ledger", "ledger/cards/overview.html", 20, cards.overview_card)
        )
        registry.add_demo_seeder(
            DemoSeeder("ledger", 10, seed=demo.demo_lines, has_data=demo.has_problems)
        )
        registry.add_menu_section(
            Section.RECTIFY,
            (
                ("ledger", _("整改台账"), "ledger:list"),
                ("rechecks", _("回头看"), "ledger:rechecks"),
                ("mine", _("我的整改"), "ledger:mine"),
                ("liaison", _("包片县区"), "ledger:liaison"),
            ),
        )
