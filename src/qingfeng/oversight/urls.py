from __future__ import annotations

from django.urls import path

from qingfeng.oversight.views import draws, groups, observers, rounds, visits

app_name = "oversight"
urlpatterns = [
    path("", visits.visits, name="visits"),
    path("visits.xlsx", visits.visits_export, name="visits_export"),
    path("visits/<int:pk>/", visits.visit, name="visit"),
    path("visits/<int:pk>/reveal/", visits.visit_reveal, name="visit_reveal"),
    path("visits/<int:pk>/start/", visits.visit_start, name="visit_start"),
    path("visits/<int:pk>/record/", visits.visit_record, name="visit_record"),
    path("visits/<int:pk>/finding/", visits.visit_finding, name="visit_finding"),
    path("visits/<int:pk>/finish/", visits.visit_finish, name="visit_finish"),
    path("visits/<int:pk>/cancel/", visits.visit_cancel, name="visit_cancel"),
    path("visits/<int:pk>/photo/<int:photo_id>/", visits.photo, name="photo"),
    path("groups/", groups.groups, name="groups"),
    path("groups/new/", groups.group_new, name="group_new"),
    path("groups/<int:pk>/", groups.group, name="group"),
    path("groups/<int:pk>/attach/", groups.group_attach, name="group_attach"),
    path("groups/<int:pk>/visit/", visits.visit_new, name="visit_new"),
    path("groups/<int:pk>/postings/<int:posting_id>/end/", groups.posting_end, name="posting_end"),
    path("draws/", draws.draws, name="draws"),
    path("draws/new/", draws.draw_new, name="draw_new"),
    path("draws/<int:pk>/", draws.draw, name="draw"),
    path("draws/<int:pk>/value/", draws.draw_value, name="draw_value"),
    path("draws/<int:pk>/certificate.json", draws.draw_certificate, name="draw_certificate"),
    path("draws/<int:pk>/verify/", draws.draw_verify, name="draw_verify"),
    path("draws/<int:pk>/publish/", draws.draw_publish, name="draw_publish"),
    path("draws/<int:pk>/plan/", draws.draw_plan, name="draw_plan"),
    path("draws/<int:pk>/export.xlsx", draws.draw_export, name="draw_export"),
    path("liaison/", groups.liaison, name="liaison"),
    path("observers/", observers.observers, name="observers"),
    path("observers/appoint/", observers.observer_appoint, name="observer_appoint"),
    path("observers/invite/", observers.observer_invite, name="observer_invite"),
    path("observers/<int:pk>/end/", observers.observer_end, name="observer_end"),
    path("observer/", observers.observer, name="observer"),
    path("observer/suggest/", observers.observer_suggest, name="observer_suggest"),
    path("rounds/", rounds.rounds, name="rounds"),
    path("rounds/new/", rounds.round_new, name="round_new"),
    path("rounds/<int:pk>/", rounds.round_detail, name="round"),
    path("rounds/<int:pk>/team/", rounds.round_team, name="round_team"),
    path("rounds/<int:pk>/declare/", rounds.round_declare, name="round_declare"),
    path("rounds/<int:pk>/advance/", rounds.round_advance, name="round_advance"),
    path("rounds/<int:pk>/request/", rounds.round_request, name="round_request"),
    path(
        "rounds/<int:pk>/requests/<int:request_id>/answer/",
        rounds.request_answer,
        name="request_answer",
    ),
    path(
        "rounds/<int:pk>/requests/<int:request_id>/files/<int:file_id>/",
        rounds.request_file,
        name="request_file",
    ),
    path("rounds/<int:pk>/interview/", rounds.round_interview, name="round_interview"),
    path("rounds/<int:pk>/reception/", rounds.round_reception, name="round_reception"),
    path("rounds/<int:pk>/self-check/", rounds.round_self_check, name="round_self_check"),
    path("rounds/<int:pk>/finding/", rounds.round_finding, name="round_finding"),
    path("rounds/<int:pk>/draw/", rounds.round_draw, name="round_draw"),
    path(
        "rounds/<int:pk>/findings.xlsx", rounds.round_findings_export, name="round_findings_export"
    ),
    path("rounds/<int:pk>/report.docx", rounds.round_report, name="round_report"),
    path("rounds/<int:pk>/review-draw/", rounds.round_review_draw, name="round_review_draw"),
    path("rounds/<int:pk>/review/", rounds.round_review_start, name="round_review_start"),
]
