from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "qingfeng.learning"
    verbose_name = _("学习教育")

    def ready(self) -> None:
        from qingfeng.core import registry
        from qingfeng.core.registry import DemoSeeder, Section
        from qingfeng.learning import demo, evidence, figures, gaps, sources, typical

        registry.add_urls("learning/", "qingfeng.learning.urls")
        # 评诺 by the people served, under the public rating prefix (/rate/ is exposed).
        registry.add_urls("rate/pledge/", "qingfeng.learning.public_urls", public=True)
        registry.add_api_router("learning", "qingfeng.learning.api.router")
        registry.add_problem_source(sources.SelfExamSource())
        registry.add_figures(figures.SOURCE)
        registry.add_typical_cases(typical.SOURCE)
        # A campaign task done by a session of a type held (campaigns/evidence.py).
        registry.add_task_evidence(evidence.EVIDENCE)
        registry.add_job_handler(gaps.JOB, gaps.run_job, atomic=False)
        registry.add_demo_seeder(
            DemoSeeder("learning", 40, seed=demo.demo_lines, has_data=demo.has_sessions)
        )
        registry.add_menu_section(
            Section.LEARN,
            (
                ("learning", _("学习日历"), "learning:calendar"),
                ("my_study", _("我的学习"), "learning:mine"),
                ("pledges", _("承诺践诺"), "learning:pledges"),
                ("cases", _("典型案例库"), "learning:cases"),
                ("session_types", _("学习类型"), "learning:types"),
            ),
        )
