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
