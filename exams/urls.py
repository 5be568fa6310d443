from django.urls import path

from . import manage_views as m
from . import views as v

app_name = "exams"

urlpatterns = [
    # candidates
    path("", v.exams_home, name="home"),
    path("my/", v.my_exams, name="my_exams"),
    path("registrations/<int:registration_id>/start/", v.start, name="start"),
    path("attempts/<int:pk>/", v.attempt_home, name="attempt"),
    path("attempts/<int:pk>/q/<int:position>/", v.question, name="question"),
    path("attempts/<int:pk>/items/<int:item_id>/save/", v.autosave, name="autosave"),
    path("attempts/<int:pk>/overview/", v.overview, name="overview"),
    path("attempts/<int:pk>/submit/", v.submit, name="submit"),
    path("attempts/<int:pk>/result/", v.result, name="result"),
    # practice on training banks
    path("practice/", v.practice, name="practice"),
    path("practice/notebook/", v.notebook, name="notebook"),
    path("practice/notebook/<int:question_id>/remove/", v.notebook_remove, name="notebook_remove"),
    path("practice/mock/<int:blueprint_id>/start/", v.mock_start, name="mock_start"),
    path("practice/<slug:code>/", v.practice_bank, name="practice_bank"),
    # exam-centre back office
    path("manage/", m.dashboard, name="manage"),
]

urlpatterns += [
    path("registrations/<int:registration_id>/ticket.pdf", v.my_ticket, name="my_ticket"),
    path("manage/banks/<slug:code>/", m.bank_detail, name="manage_bank"),
    path("manage/banks/<slug:code>/questions/add/", m.question_edit, name="manage_question_add"),
    path("manage/banks/<slug:code>/questions/<int:pk>/", m.question_edit, name="manage_question_edit"),
    path("manage/banks/<slug:code>/questions/<int:pk>/retire/", m.question_retire, name="manage_question_retire"),
    path("manage/banks/<slug:code>/import/", m.bank_import, name="manage_import"),
    path("manage/import-template.xlsx", m.import_template, name="manage_import_template"),
    path("manage/blueprints/", m.blueprint_list, name="manage_blueprints"),
    path("manage/sessions/", m.session_list, name="manage_sessions"),
    path("manage/sessions/new/", m.session_create, name="manage_session_create"),
    path("manage/sessions/<int:pk>/", m.session_detail, name="manage_session"),
    path("manage/sessions/<int:pk>/tickets.pdf", m.session_tickets, name="manage_tickets"),
    path("manage/sessions/<int:pk>/console/", m.console, name="manage_console"),
    path("manage/sessions/<int:pk>/console/<int:attempt_id>/extend/", m.console_extend, name="manage_extend"),
    path("manage/sessions/<int:pk>/console/<int:attempt_id>/force-submit/", m.console_force_submit, name="manage_force_submit"),
    path("manage/sessions/<int:pk>/stats/", m.session_stats, name="manage_stats"),
    path("manage/registrations/<int:pk>/cancel/", m.registration_cancel, name="manage_registration_cancel"),
    path("manage/registrations/<int:pk>/practical/", m.practical_entry, name="manage_practical"),
    path("manage/marking/", m.marking, name="manage_marking"),
    path("manage/marking/<int:answer_id>/", m.mark_answer, name="manage_mark"),
]
