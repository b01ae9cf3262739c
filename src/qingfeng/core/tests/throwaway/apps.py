from __future__ import annotations

from django.apps import AppConfig


class ThrowawayConfig(AppConfig):
    name = "qingfeng.core.tests.throwaway"
    label = "throwaway"

    def ready(self) -> None:
        from qingfeng.core import registry
        from qingfeng.core.registry import DemoSeeder, HomeCard, MenuEntry, Section
        from qingfeng.core.tests.throwaway import contributions

        registry.add_urls("throwaway/", "qingfeng.core.tests.throwaway.urls")
        registry.add_menu_entry(
            MenuEntry("throwaway", "抽查记录", "throwaway:index", Section.EVALUATE, 10)
        )
        registry.add_home_card(HomeCard("throwaway", "throwaway/card.html", 50, contributions.card))
        registry.add_problem_source(contributions.FindingSource())
        registry.add_demo_seeder(DemoSeeder("throwaway", 90, seed=contributions.seed))
        registry.add_job_handler("throwaway.ping", contributions.ping)
