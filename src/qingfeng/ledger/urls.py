from __future__ import annotations

from django.urls import path

from qingfeng.ledger import excel_views, views

app_name = "ledger"
urlpatterns = [
    path("", views.ledger_list, name="list"),
    path("new/", views.problem_new, name="new"),
    path("new/people/", views.people_options, name="people_options"),
    path("mine/", views.my_items, name="mine"),
    path("liaison/", views.liaison_view, name="liaison"),
    path("bulk-assign/", views.bulk_assign, name="bulk_assign"),
    path("rechecks/", views.recheck_list, name="rechecks"),
    path("import/", excel_views.import_page, name="import"),
    path("import/template.xlsx", excel_views.template_download, name="import_template"),
    path("import/<int:pk>/", excel_views.import_result, name="import_result"),
    path("import/<int:pk>/apply/", excel_views.import_apply, name="import_apply"),
    path("import/<int:pk>/errors.xlsx", excel_views.import_errors, name="import_errors"),
    path("export.xlsx", excel_views.export, name="export"),
    path("rechecks/<int:pk>/decide/", views.recheck_decide, name="recheck_decide"),
    path("<int:pk>/", views.problem_detail, name="detail"),
    path("<int:pk>/edit/", views.problem_edit, name="edit"),
    path("<int:pk>/assign/", views.problem_assign, name="assign"),
    path("<int:pk>/accept/", views.problem_accept, name="accept"),
    path("<int:pk>/report/", views.problem_report, name="report"),
    path("<int:pk>/request-closure/", views.problem_request_closure, name="request_closure"),
    path("<int:pk>/verify/", views.problem_verify, name="verify"),
    path("<int:pk>/withdraw/", views.problem_withdraw, name="withdraw"),
    path("<int:pk>/feedback/", views.problem_feedback, name="feedback"),
    path("<int:pk>/disclose/", views.problem_disclose, name="disclose"),
    path("<int:pk>/publish-offline/", views.problem_publish_offline, name="publish_offline"),
    path("<int:pk>/approve-offline/", views.problem_approve_offline, name="approve_offline"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("publications/<int:pk>/", views.publication_download, name="publication"),
]
