from django.urls import path

from . import api

urlpatterns = [
    path("exams/banks/", api.bank_list, name="exams-api-banks"),
    path("exams/banks/<slug:code>/questions/", api.bank_questions, name="exams-api-bank-questions"),
    path("exams/attempts/", api.my_attempts, name="exams-api-attempts"),
    path("exams/attempts/<id:pk>/answers/", api.attempt_answer, name="exams-api-answer"),
]
