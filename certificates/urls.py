from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    # public
    path("verify/", views.verify, name="verify"),
    path("verify/public-key.pem", views.public_key, name="public_key"),
    path("verify/<str:code>/", views.verify_code, name="verify_code"),
    # signed-in
    path("certificates/mine/", views.my_certificates, name="mine"),
    path("certificates/people/", views.people_certificates, name="people"),
    path("certificates/manage/", views.manage, name="manage"),
    path("certificates/issue/", views.issue_list, name="issue"),
    path("certificates/issue/batch/", views.issue_batch, name="issue_batch"),
    path("certificates/issue/<id:registration_id>/", views.issue_one, name="issue_one"),
    path("certificates/import/", views.import_certificates, name="import"),
    path("certificates/reviews/", views.reviews, name="reviews"),
    path("certificates/reviews/<id:pk>/decide/", views.review_decide, name="review_decide"),
    path("certificates/batches/render/", views.batch_render, name="batch_render"),
    path("certificates/batches/<id:pk>/", views.batch_detail, name="batch"),
    path("certificates/roster/", views.roster, name="roster"),
    path("certificates/roster/<id:pk>/", views.roster_result, name="roster_result"),
    path("certificates/roster/<id:pk>/download.xlsx", views.roster_download, name="roster_download"),
    path("certificates/<id:pk>/", views.certificate_detail, name="detail"),
    path("certificates/<id:pk>/pdf/", views.certificate_pdf, name="pdf"),
    path("certificates/<id:pk>/review/", views.review_apply, name="review_apply"),
    path("certificates/<id:pk>/action/", views.certificate_action, name="action"),
]

# training files (培训档案)
from . import training_file_views as tf  # noqa: E402

urlpatterns += [
    path("verify/training-file/<str:code>/", tf.verify_training_file, name="verify_training_file"),
    path("certificates/training-file/", tf.my_training_file, name="my_training_file"),
    path("certificates/training-file/<id:pk>/", tf.person_training_file, name="person_training_file"),
]
