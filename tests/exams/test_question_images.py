"""Question stem images: only through the app, for the candidate whose paper holds the question and the
bank's own staff; never a raw media URL."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from accounts.roles import Role
from exams import selectors, services
from exams.models import AttemptItem

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def paper_with_image(registration, candidate):
    attempt = services.attempt_start(user=candidate, registration=registration)
    item = AttemptItem.objects.filter(attempt=attempt).select_related("question").order_by("position").first()
    question = item.question
    question.image.save("stem.png", ContentFile(_png()), save=False)
    type(question).objects.filter(pk=question.pk).update(image=question.image.name)
    return attempt, question


def test_candidate_of_the_paper_sees_the_image_through_the_view(client, paper_with_image, candidate):
    attempt, question = paper_with_image
    url = f"/exams/questions/{question.pk}/image/"
    paper = selectors.frozen_paper(attempt)
    assert paper[0]["image"] == url and "/media/" not in str(paper)
    client.force_login(candidate)
    page = client.get(f"/exams/attempts/{attempt.pk}/q/1/").content.decode()
    assert f'src="{url}"' in page and "/media/" not in page
    resp = client.get(url)
    assert resp.status_code == 200 and resp["Content-Type"] == "image/png"
    assert b"".join(resp.streaming_content) == _png()
    assert "no-store" in resp["Cache-Control"]


def test_others_get_nothing(client, paper_with_image, make_member, training_org):
    _, question = paper_with_image
    url = f"/exams/questions/{question.pk}/image/"
    assert client.get(url).status_code == 302  # anonymous: sign in first
    for user in (make_member(Role.WORKER, identity_verified=True),  # another candidate
                 make_member(Role.INSTRUCTOR, org=training_org),  # training staff never see testing banks
                 make_member(Role.ITEM_WRITER)):  # another exam centre
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_staff_of_the_owning_centre_see_it(client, paper_with_image, examiner, make_member, centre):
    _, question = paper_with_image
    for user in (examiner, make_member(Role.PROCTOR, org=centre)):
        client.force_login(user)
        assert client.get(f"/exams/questions/{question.pk}/image/").status_code == 200


def test_training_bank_images_for_those_who_practise(client, training_bank, make_member, training_org):
    question = training_bank.questions.first()
    question.image.save("train.png", ContentFile(_png()))
    client.force_login(make_member(Role.WORKER))
    assert client.get(f"/exams/questions/{question.pk}/image/").status_code == 200
