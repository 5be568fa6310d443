from django.contrib.auth import views as auth_views
from django.urls import path

from . import identity_views, views

app_name = "accounts"

urlpatterns = [
    path("me/", views.my_account, name="me"),
    path("me/second-factor/", views.second_factor, name="second_factor"),
    path("people/", views.people, name="people"),
    path("people/<id:pk>/", views.person_detail, name="person"),
    # identity review (accounts/identity.py)
    path("me/identity/", identity_views.upload_mine, name="identity_upload"),
    path("people/<id:pk>/identity/", identity_views.upload_for, name="identity_upload_for"),
    path("identity/reviews/", identity_views.queue, name="identity_queue"),
    path("identity/reviews/<id:pk>/", identity_views.review, name="identity_review"),
    path("identity/files/<id:pk>/<slug:part>/", identity_views.photo, name="identity_photo"),
    path("separation/", views.separation_conflicts_view, name="separation_conflicts"),
]

# Django's conventional auth URLs (names without namespace: login, logout, password_change …).
auth_urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

# The enterprise roster (花名册) and account activation (accounts/people_views.py).
from . import people_views  # noqa: E402

urlpatterns += [
    path("people/add/", people_views.person_add, name="person_add"),
    path("people/import/", people_views.import_people, name="people_import"),
    path("people/import/template.xlsx", people_views.import_template, name="people_import_template"),
    path("people/<id:pk>/edit/", people_views.person_edit, name="person_edit"),
    path("people/<id:pk>/end/", people_views.person_end, name="person_end"),
    path("people/<id:pk>/invite/", people_views.person_invite, name="person_invite"),
    path("activate/", people_views.activate, name="activate"),
    path("activate/password/", people_views.activate_password, name="activate_password"),
    path("activate/<str:token>/", people_views.activate_link, name="activate_link"),
]

# Enterprises joining: public sign-up, the applicant's status, the bureau's queue, list, edit, import.
from . import enterprise_views  # noqa: E402

urlpatterns += [
    path("join/", enterprise_views.join, name="join"),
    path("join/status/", enterprise_views.join_status, name="join_status"),
    path("join/withdraw/", enterprise_views.join_withdraw, name="join_withdraw"),
    path("enterprises/", enterprise_views.enterprise_list, name="enterprises"),
    path("enterprise-applications/", enterprise_views.application_list, name="enterprise_applications"),
    path("enterprise-applications/<id:pk>/", enterprise_views.application_detail, name="enterprise_application"),
    path("enterprises/<id:pk>/edit/", enterprise_views.enterprise_edit, name="enterprise_edit"),
    path("enterprises/import/", enterprise_views.enterprise_import, name="enterprise_import"),
    path("enterprises/import/template/", enterprise_views.enterprise_import_template,
         name="enterprise_import_template"),
]
