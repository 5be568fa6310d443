from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("", views.my_courses, name="my_courses"),
    path("c/<slug:code>/", views.course_detail, name="course"),
    path("c/<slug:code>/enrol/", views.course_enrol, name="enrol"),
    path("c/<slug:code>/finish/", views.course_finish, name="finish"),
    path("c/<slug:code>/lesson/<id:pk>/", views.lesson_view, name="lesson"),
    path("c/<slug:code>/lesson/<id:pk>/video/", views.lesson_video, name="lesson_video"),
    path("lesson/<id:pk>/heartbeat/", views.heartbeat, name="heartbeat"),
    path("trail/", views.my_trail, name="my_trail"),
    path("camera-consent/", views.camera_consent, name="camera_consent"),
    path("lesson/<id:pk>/check/", views.study_check, name="study_check"),
    path("checks/", views.study_checks, name="study_checks"),
    path("checks/<id:pk>/decide/", views.study_check_decide, name="study_check_decide"),
    path("checks/<id:pk>/<str:which>.jpg", views.study_check_photo, name="study_check_photo"),
    path("people/<id:pk>/trail/", views.person_trail, name="person_trail"),
    path("enterprise/", views.enterprise_progress, name="enterprise"),
    path("enterprise/export.xlsx", views.enterprise_export, name="enterprise_export"),
    path("rules/", views.rules, name="rules"),
    path("rules/<id:pk>/deactivate/", views.rule_deactivate, name="rule_deactivate"),
    path("offline/", views.offline_sessions, name="offline_sessions"),
    path("offline/<id:pk>/", views.offline_session_detail, name="offline_session"),
    path("offline/template.xlsx", views.attendance_template, name="attendance_template"),
]

# training institutions (instructors) and the enterprise's choice of institution
from . import institution_views as iv  # noqa: E402

urlpatterns += [
    path("institution/", iv.dashboard, name="institution"),
    path("institution/banks/new/", iv.bank_create, name="institution_bank_create"),
    path("institution/courses/new/", iv.course_create, name="institution_course_create"),
    path("institution/courses/<slug:code>/", iv.course_edit, name="institution_course"),
    path("institution/courses/<slug:code>/publish/", iv.course_publish, name="institution_course_publish"),
    path("institution/courses/<slug:code>/preview/", iv.course_preview, name="institution_course_preview"),
    path("institution/courses/<slug:code>/preview/<id:pk>/", iv.lesson_preview, name="institution_lesson_preview"),
    path("institution/courses/<slug:code>/preview/<id:pk>/video/", iv.lesson_preview_video,
         name="institution_lesson_preview_video"),
    path("institution/courses/<slug:code>/lessons/new/", iv.lesson_edit, name="institution_lesson_add"),
    path("institution/courses/<slug:code>/lessons/<id:pk>/", iv.lesson_edit, name="institution_lesson"),
    path("institution/courses/<slug:code>/lessons/<id:pk>/move/", iv.lesson_move, name="institution_lesson_move"),
    path("institution/classes/new/", iv.class_create, name="institution_class_create"),
    path("institution/classes/<id:pk>/", iv.class_detail, name="institution_class"),
    path("institution/classes/<id:pk>/attendance/", iv.class_attendance, name="institution_class_attendance"),
    path("enterprise/institutions/", iv.enterprise_institutions, name="enterprise_institutions"),
    path("enterprise/institutions/<id:pk>/end/", iv.enterprise_institution_end, name="enterprise_institution_end"),
]

# bureau: anomalies in online study
from . import evidence_views  # noqa: E402

urlpatterns += [
    path("anomalies/", evidence_views.anomalies, name="anomalies"),
    path("evidence/", evidence_views.evidence, name="evidence"),
]
