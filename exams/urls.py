from django.urls import path

from . import manage_views as m
from . import views as v

app_name = "exams"

urlpatterns = [
    # the request an exam day sends most comes first
    path("attempts/<id:pk>/items/<id:item_id>/save/", v.autosave, name="autosave"),
    # candidates
    path("", v.exams_home, name="home"),
    path("my/", v.my_exams, name="my_exams"),
    path("registrations/<id:registration_id>/start/", v.start, name="start"),
    path("attempts/<id:pk>/", v.attempt_home, name="attempt"),
    path("attempts/<id:pk>/q/<id:position>/", v.question, name="question"),
    path("attempts/<id:pk>/overview/", v.overview, name="overview"),
    path("attempts/<id:pk>/submit/", v.submit, name="submit"),
    path("attempts/<id:pk>/still/", v.attempt_still, name="attempt_still"),
    path("attempts/<id:pk>/result/", v.result, name="result"),
    path("questions/<id:pk>/image/", v.question_image, name="question_image"),
    # practice on training banks
    path("practice/", v.practice, name="practice"),
    path("practice/notebook/", v.notebook, name="notebook"),
    path("practice/notebook/<id:question_id>/remove/", v.notebook_remove, name="notebook_remove"),
    path("practice/mock/<id:blueprint_id>/start/", v.mock_start, name="mock_start"),
    path("practice/<slug:code>/", v.practice_bank, name="practice_bank"),
    # exam-centre back office
    path("manage/", m.dashboard, name="manage"),
]

urlpatterns += [
    path("registrations/<id:registration_id>/ticket.pdf", v.my_ticket, name="my_ticket"),
    path("manage/banks/<slug:code>/", m.bank_detail, name="manage_bank"),
    path("manage/banks/<slug:code>/questions/add/", m.question_edit, name="manage_question_add"),
    path("manage/banks/<slug:code>/questions/<id:pk>/", m.question_edit, name="manage_question_edit"),
    path("manage/banks/<slug:code>/questions/<id:pk>/retire/", m.question_retire, name="manage_question_retire"),
    path("manage/banks/<slug:code>/import/", m.bank_import, name="manage_import"),
    path("manage/import-template.xlsx", m.import_template, name="manage_import_template"),
    path("manage/blueprints/", m.blueprint_list, name="manage_blueprints"),
    path("manage/blueprints/new/", m.blueprint_edit, name="manage_blueprint_add"),
    path("manage/blueprints/<slug:code>/edit/", m.blueprint_edit, name="manage_blueprint_edit"),
    path("manage/sessions/", m.session_list, name="manage_sessions"),
    path("manage/sessions/new/", m.session_create, name="manage_session_create"),
    path("manage/sessions/<id:pk>/", m.session_detail, name="manage_session"),
    path("manage/sessions/<id:pk>/tickets.pdf", m.session_tickets, name="manage_tickets"),
    path("manage/sessions/<id:pk>/prepare-papers/", m.session_prepare_papers, name="manage_prepare_papers"),
    path("manage/sessions/<id:pk>/console/", m.console, name="manage_console"),
    path("manage/sessions/<id:pk>/console/<id:attempt_id>/extend/", m.console_extend, name="manage_extend"),
    path("manage/sessions/<id:pk>/console/<id:attempt_id>/force-submit/", m.console_force_submit, name="manage_force_submit"),
    path("manage/sessions/<id:pk>/stats/", m.session_stats, name="manage_stats"),
    path("manage/registrations/<id:pk>/cancel/", m.registration_cancel, name="manage_registration_cancel"),
    path("manage/registrations/<id:pk>/practical/", m.practical_entry, name="manage_practical"),
    path("manage/registrations/<id:pk>/practical/confirm/", m.practical_confirm, name="manage_practical_confirm"),
    path("manage/registrations/<id:pk>/practical/evidence/", m.practical_evidence_upload,
         name="manage_practical_evidence"),
    path("manage/practical-evidence/<id:pk>/", m.practical_evidence_file, name="manage_practical_evidence_file"),
    path("manage/venues/", m.venues, name="manage_venues"),
    path("manage/marking/", m.marking, name="manage_marking"),
    path("manage/retraining/", m.retraining, name="manage_retraining"),
    path("manage/retraining/<id:pk>/complete/", m.retraining_complete, name="manage_retraining_complete"),
    path("manage/marking/<id:answer_id>/", m.mark_answer, name="manage_mark"),
]

# applications (报名)
from . import application_views as a  # noqa: E402

urlpatterns += [
    path("applications/", a.my_applications, name="my_applications"),
    path("applications/new/", a.apply, name="apply"),
    path("applications/batch/", a.batch_apply, name="batch_apply"),
    path("applications/<id:pk>/", a.application_detail, name="application"),
    path("applications/<id:pk>/withdraw/", a.application_withdraw, name="application_withdraw"),
    path("manage/applications/", a.manage_applications, name="manage_applications"),
    path("manage/applications/<id:pk>/", a.manage_application, name="manage_application"),
]

# 考场签到 (proctor console check-in)
from . import checkin_views as ci  # noqa: E402

urlpatterns += [
    path("manage/sessions/<id:pk>/checkin/<id:reg_id>/", ci.checkin_page, name="manage_checkin"),
    path("manage/sessions/<id:pk>/checkin/<id:reg_id>/photo/<slug:which>/", ci.checkin_photo,
         name="manage_checkin_photo"),
    # stills during the theory exam (proctors of the centre; every view audited)
    path("manage/sessions/<id:pk>/console/<id:attempt_id>/stills/", ci.attempt_stills, name="manage_attempt_stills"),
    path("manage/sessions/<id:pk>/stills/<id:still_id>/", ci.attempt_still_photo, name="manage_attempt_still_photo"),
]
