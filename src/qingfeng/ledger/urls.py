from __future__ import annotations

from django.urls import path

from qingfeng.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.ledger_list, name="list"),
    path("new/", views.problem_new, name="new"),
    path("new/people/", views.people_options, name="people_options"),
    path("mine/", views.my_items, name="mine"),
    path("liaison/", views.liaison_view, name="liaison"),
    path("bulk-assign/", views.bulk_assign, name="bulk_assign"),
    path("rechecks/", views.recheck_list, name="rechecks"),
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
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
]
