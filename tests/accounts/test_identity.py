"""Identity review: consent, upload checks, the reviewers' queue and scope, confirm / reject, photo access."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts import identity
from accounts.models import IdentitySubmission, PersonalInfoConsent, Region, User
from accounts.roles import OrgKind, Role
from core.models import AuditLog, Notification
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

PERSON_ID = "440704199003071231"
OTHER_ID = "110101198503071235"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def image(name="photo.png", fmt="PNG", size=(320, 400), colour=(200, 180, 160)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, fmt)
    return SimpleUploadedFile(name, buf.getvalue(), content_type=f"image/{fmt.lower()}")


def files(**overrides):
    out = {"id_front": image("front.png"), "id_back": image("back.jpg", "JPEG"), "portrait": image("me.png")}
    out.update(overrides)
    return out


def post_data(**overrides):
    data = {"consent": "on", "consent_version": identity.CONSENT_VERSION, **files()}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def world(make_member):
    ent = OrganizationFactory(kind=OrgKind.ENTERPRISE, region=Region.objects.get(code="440704"))
    other_ent = OrganizationFactory(kind=OrgKind.ENTERPRISE, region=Region.objects.get(code="110101"))
    # a centre with a district address serves its whole city (4407..)
    centre = OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None, region=Region.objects.get(code="440703"))
    far_centre = OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None, region=Region.objects.get(code="110000"))
    bureau = OrganizationFactory(kind=OrgKind.BUREAU, credit_code=None, region=Region.objects.get(code="440000"))
    district_bureau = OrganizationFactory(kind=OrgKind.BUREAU, credit_code=None, region=Region.objects.get(code="440705"))
    person = make_member(Role.WORKER, org=ent, real_name="王建国", id_number=PERSON_ID, phone="13800000001")
    return {
        "ent": ent, "person": person,
        "colleague": make_member(Role.WORKER, org=ent),
        "admin": make_member(Role.ENT_ADMIN, org=ent, real_name="林管理"),
        "manager": make_member(Role.SAFETY_MANAGER, org=ent),
        "other_admin": make_member(Role.ENT_ADMIN, org=other_ent),
        "proctor": make_member(Role.PROCTOR, org=centre),
        "officer": make_member(Role.CERT_OFFICER, org=centre),
        "writer": make_member(Role.ITEM_WRITER, org=centre),
        "far_proctor": make_member(Role.PROCTOR, org=far_centre),
        "bureau": make_member(Role.BUREAU_ANALYST, org=bureau),
        "district_bureau": make_member(Role.BUREAU_EDITOR, org=district_bureau),  # another district
    }


def submit(world, actor_key="person", **file_overrides):
    return identity.identity_submit(actor=world[actor_key], person=world["person"], files=files(**file_overrides),
                                    consent_given=True, consent_version=identity.CONSENT_VERSION)


# --------------------------------------------------------------------------- consent and upload


def test_upload_page_shows_the_consent_text_and_requires_the_checkbox(client, world):
    client.force_login(world["person"])
    url = reverse("accounts:identity_upload")
    page = client.get(url).content.decode()
    assert "个人信息" in page and "单独同意" in page and 'name="consent"' in page
    r = client.post(url, post_data(consent=None))
    assert r.status_code == 200
    assert "请先阅读并同意个人信息处理说明" in r.content.decode()
    assert not PersonalInfoConsent.objects.exists() and not IdentitySubmission.objects.exists()


def test_person_uploads_with_consent_recorded_first(client, world, settings):
    client.force_login(world["person"])
    r = client.post(reverse("accounts:identity_upload"), post_data(), REMOTE_ADDR="203.0.113.9")
    assert r.status_code == 302
    sub = IdentitySubmission.objects.get()
    assert sub.status == "pending" and sub.submitted_by == world["person"] and sub.person == world["person"]
    consent = sub.consent
    assert (consent.person, consent.given_by, consent.text_version, consent.on_behalf, consent.ip) == (
        world["person"], world["person"], identity.CONSENT_VERSION, False, "203.0.113.9")
    # stored under a private path with random names; the back side was a JPEG, the others PNG
    assert all(getattr(sub, p).name.startswith("private/identity/") for p in identity.FILE_PARTS)
    assert sub.id_back.name.endswith(".jpg") and sub.portrait.name.endswith(".png")
    assert "me.png" not in sub.portrait.name
    actions = list(AuditLog.objects.filter(action__startswith="identity.").order_by("pk").values_list("action", flat=True))
    assert actions == ["identity.consent", "identity.submit"]
    # a second upload while one waits is refused
    with pytest.raises(ValidationError):
        submit(world)
    assert IdentitySubmission.objects.count() == 1


@pytest.mark.parametrize("bad, message", [
    (SimpleUploadedFile("front.jpg", b"not an image at all" * 100, content_type="image/jpeg"), "不是有效的 JPG 或 PNG 图片"),
    (image("front.gif", "GIF"), "不是有效的 JPG 或 PNG 图片"),
    (image("tiny.png", size=(60, 60)), "太小"),
    (SimpleUploadedFile("huge.png", b"\x89PNG" + b"0" * (identity.MAX_IMAGE_BYTES + 1)), "过大"),
    (SimpleUploadedFile("empty.png", b""), "空文件"),
])
def test_bad_files_are_refused_and_nothing_is_kept(client, world, bad, message, tmp_path):
    client.force_login(world["person"])
    r = client.post(reverse("accounts:identity_upload"), post_data(id_front=bad))
    assert r.status_code == 200
    assert message in r.content.decode()
    assert not IdentitySubmission.objects.exists()
    assert not PersonalInfoConsent.objects.exists()  # the consent went with the refused upload
    assert not (tmp_path / "private").exists()


def test_enterprise_admin_and_safety_manager_upload_for_their_people_only(client, world):
    url = reverse("accounts:identity_upload_for", args=[world["person"].pk])
    for key in ("colleague", "other_admin", "proctor", "bureau"):
        client.force_login(world[key])
        assert client.get(url).status_code == 404, key
        assert client.post(url, post_data()).status_code == 404, key
    assert not IdentitySubmission.objects.exists()
    client.force_login(world["admin"])
    page = client.get(url).content.decode()
    assert "取得其单独同意" in page
    assert client.post(url, post_data()).status_code == 302
    sub = IdentitySubmission.objects.get()
    assert sub.submitted_by == world["admin"] and sub.consent.on_behalf and sub.consent.given_by == world["admin"]
    assert sub.consent.person == world["person"]
    with pytest.raises(PermissionDenied):
        identity.identity_submit(actor=world["other_admin"], person=world["person"], files=files(),
                                 consent_given=True, consent_version=identity.CONSENT_VERSION)


def test_panel_on_my_account_and_person_page(client, world):
    client.force_login(world["person"])
    page = client.get(reverse("accounts:me")).content.decode()
    assert "未核验" in page and reverse("accounts:identity_upload") in page
    submit(world)
    client.force_login(world["admin"])
    page = client.get(reverse("accounts:person", args=[world["person"].pk])).content.decode()
    assert "材料待核验" in page
    sub = IdentitySubmission.objects.get()
    assert reverse("accounts:identity_photo", args=[sub.pk, "portrait"]) in page


# --------------------------------------------------------------------------- the queue and its scope


def test_queue_scope_exam_centre_and_bureau_of_the_region(client, world, django_assert_max_num_queries):
    sub = submit(world)
    for key in ("proctor", "officer", "bureau"):
        assert list(identity.identity_review_queue(world[key])) == [sub], key
        assert identity.identity_reviews_waiting(world[key]) == 1
    for key in ("far_proctor", "writer", "admin", "person", "colleague", "district_bureau"):
        assert identity.identity_reviews_waiting(world[key]) == 0, key
    from accounts.selectors import identity_reviews_waiting

    assert identity_reviews_waiting(world["proctor"]) == 1 and identity_reviews_waiting(world["person"]) == 0
    # more people waiting: the list page runs a fixed number of queries
    for _ in range(5):
        p = MembershipFactory(organization=world["ent"], role=Role.WORKER).user
        identity.identity_submit(actor=p, person=p, files=files(), consent_given=True,
                                 consent_version=identity.CONSENT_VERSION)
    client.force_login(world["proctor"])
    with django_assert_max_num_queries(8):
        page = client.get(reverse("accounts:identity_queue"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count(reverse("accounts:identity_review", args=[sub.pk])) == 1 and "王*国" not in html
    assert "4407**********1231" in html  # masked in the list
    client.force_login(world["far_proctor"])
    assert world["person"].display_name not in client.get(reverse("accounts:identity_queue")).content.decode()
    assert client.get(reverse("accounts:identity_review", args=[sub.pk])).status_code == 404
    client.force_login(world["writer"])
    assert client.get(reverse("accounts:identity_queue")).status_code == 404


def test_nobody_reviews_their_own_submission(world):
    proctor = world["proctor"]
    MembershipFactory(user=proctor, organization=world["ent"], role=Role.WORKER)
    own = identity.identity_submit(actor=proctor, person=proctor, files=files(), consent_given=True,
                                   consent_version=identity.CONSENT_VERSION)
    assert own not in identity.identity_review_queue(proctor)
    with pytest.raises(PermissionDenied):
        identity.identity_confirm(reviewer=proctor, submission=own)
    assert own in identity.identity_review_queue(world["officer"])


def test_navigation_entry_for_reviewers(client, world):
    client.force_login(world["proctor"])
    assert reverse("accounts:identity_queue") in client.get(reverse("accounts:me")).content.decode()
    client.force_login(world["person"])
    assert reverse("accounts:identity_queue") not in client.get(reverse("accounts:me")).content.decode()


# --------------------------------------------------------------------------- review page and decisions


def test_review_page_shows_photos_side_by_side_with_the_entered_data(client, world):
    sub = submit(world)
    client.force_login(world["proctor"])
    html = client.get(reverse("accounts:identity_review", args=[sub.pk])).content.decode()
    for part in identity.FILE_PARTS:
        assert reverse("accounts:identity_photo", args=[sub.pk, part]) in html
    assert PERSON_ID in html and "1990-03-07" in html and "男" in html and "王建国" in html
    client.force_login(world["bureau"])  # bureau staff review, but see the number masked
    html = client.get(reverse("accounts:identity_review", args=[sub.pk])).content.decode()
    assert PERSON_ID not in html and "4407**********1231" in html


def test_confirm_sets_verified_audited_and_keeps_the_portrait(client, world):
    sub = submit(world)
    client.force_login(world["proctor"])
    r = client.post(reverse("accounts:identity_review", args=[sub.pk]), {"action": "confirm", "corrected_id_number": ""})
    assert r.status_code == 302
    sub.refresh_from_db()
    person = User.objects.get(pk=world["person"].pk)
    assert person.identity_verified
    assert person.photo.name == sub.portrait.name  # printed on certificates from now on
    assert (sub.status, sub.reviewer, sub.reviewed_name, sub.reviewed_id_number) == (
        "verified", world["proctor"], "王建国", PERSON_ID)
    log = AuditLog.objects.get(action="identity.verify")
    assert log.actor == world["proctor"] and log.before == {"identity_verified": False}
    assert Notification.objects.filter(user=person, kind="identity.verified").exists()
    # decided: no second decision
    with pytest.raises(ValidationError):
        identity.identity_reject(reviewer=world["officer"], submission=sub, reason="重复")


def test_confirm_with_a_corrected_id_number(world):
    sub = submit(world)
    with pytest.raises(ValidationError) as bad:
        identity.identity_confirm(reviewer=world["proctor"], submission=sub, corrected_id_number="440704199003071232")
    assert "corrected_id_number" in bad.value.message_dict
    taken = MembershipFactory(organization=world["ent"]).user
    taken.set_id_number(OTHER_ID)
    taken.save()
    with pytest.raises(ValidationError):
        identity.identity_confirm(reviewer=world["proctor"], submission=sub, corrected_id_number=OTHER_ID)
    person = User.objects.get(pk=world["person"].pk)
    assert person.id_number == PERSON_ID and not person.identity_verified  # nothing changed
    corrected = "440704199003071258"
    identity.identity_confirm(reviewer=world["proctor"], submission=sub, corrected_id_number=corrected)
    person.refresh_from_db()
    assert person.id_number == corrected and person.identity_verified
    assert User.objects.by_id_number(corrected).get() == person
    log = AuditLog.objects.get(action="user.id_number_correct")
    assert log.before == {"id_number": "4407**********1231"} and log.after == {"id_number": "4407**********1258"}
    assert PERSON_ID not in str(log.before) + str(log.after)


def test_confirm_needs_an_id_number_on_record(world, make_member):
    nobody = make_member(Role.WORKER, org=world["ent"])
    sub = identity.identity_submit(actor=nobody, person=nobody, files=files(), consent_given=True,
                                   consent_version=identity.CONSENT_VERSION)
    with pytest.raises(ValidationError):
        identity.identity_confirm(reviewer=world["officer"], submission=sub)
    assert not User.objects.get(pk=nobody.pk).identity_verified


def test_reject_needs_a_reason_notifies_and_allows_a_new_upload(client, world, sms_outbox,
                                                              django_capture_on_commit_callbacks):
    sub = identity.identity_submit(actor=world["admin"], person=world["person"], files=files(),
                                   consent_given=True, consent_version=identity.CONSENT_VERSION)
    client.force_login(world["officer"])
    url = reverse("accounts:identity_review", args=[sub.pk])
    r = client.post(url, {"action": "reject", "reason": "  "})
    assert r.status_code == 200 and "请填写退回原因" in r.content.decode()
    assert IdentitySubmission.objects.get().status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "reject", "reason": "身份证照片模糊"}).status_code == 302
    sub.refresh_from_db()
    assert sub.status == "rejected" and sub.reason == "身份证照片模糊"
    assert not User.objects.get(pk=world["person"].pk).identity_verified
    assert AuditLog.objects.get(action="identity.reject").reason == "身份证照片模糊"
    assert [m.phone for m in sms_outbox] == ["13800000001"] and "身份证照片模糊" in sms_outbox[0].body
    assert Notification.objects.filter(user=world["person"], kind="identity.rejected").exists()
    assert Notification.objects.filter(user=world["admin"], kind="identity.rejected").exists()
    # the person sees the reason and uploads again
    client.force_login(world["person"])
    page = client.get(reverse("accounts:identity_upload")).content.decode()
    assert "身份证照片模糊" in page
    assert client.post(reverse("accounts:identity_upload"), post_data()).status_code == 302
    assert IdentitySubmission.objects.filter(status="pending").count() == 1


def test_out_of_scope_staff_cannot_decide(client, world):
    sub = submit(world)
    for key in ("far_proctor", "writer", "admin"):
        client.force_login(world[key])
        assert client.post(reverse("accounts:identity_review", args=[sub.pk]), {"action": "confirm"}).status_code == 404
        with pytest.raises(PermissionDenied):
            identity.identity_confirm(reviewer=world[key], submission=sub)
    assert IdentitySubmission.objects.get().status == "pending"
    assert not User.objects.get(pk=world["person"].pk).identity_verified


def test_identity_verified_is_not_editable_in_the_admin():
    from django.contrib import admin

    assert "identity_verified" in admin.site._registry[User].readonly_fields


# --------------------------------------------------------------------------- photo access


def test_photos_only_for_the_person_their_managers_and_reviewers_in_scope(client, world):
    sub = submit(world)
    url = reverse("accounts:identity_photo", args=[sub.pk, "portrait"])
    for key in ("person", "admin", "manager", "proctor", "officer", "bureau"):
        client.force_login(world[key])
        r = client.get(url)
        assert r.status_code == 200, key
        assert r["Content-Type"] == "image/png" and "no-store" in r["Cache-Control"]
        assert b"".join(r.streaming_content).startswith(b"\x89PNG")
    assert client.get(reverse("accounts:identity_photo", args=[sub.pk, "id_back"]))["Content-Type"] == "image/jpeg"
    for key in ("colleague", "other_admin", "far_proctor", "writer", "district_bureau"):
        client.force_login(world[key])
        assert client.get(url).status_code == 404, key
    client.force_login(world["person"])
    assert client.get(reverse("accounts:identity_photo", args=[sub.pk, "photo"])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to sign-in


def test_an_app_above_can_widen_a_reviewers_scope(world, make_member, monkeypatch):
    """E.g. exams: a candidate without an enterprise who applied to the proctor's centre."""
    loner = make_member(Role.WORKER, org=OrganizationFactory(region=Region.objects.get(code="110101")), id_number=OTHER_ID)
    sub = identity.identity_submit(actor=loner, person=loner, files=files(), consent_given=True,
                                   consent_version=identity.CONSENT_VERSION)
    assert sub not in identity.identity_review_queue(world["proctor"])
    monkeypatch.setattr(identity, "_scope_providers", [])
    identity.register_reviewer_scope(
        lambda user: User.objects.filter(pk=loner.pk).values("pk") if user.pk == world["proctor"].pk else None)
    assert list(identity.identity_review_queue(world["proctor"])) == [sub]
    assert sub not in identity.identity_review_queue(world["officer"])
    identity.identity_confirm(reviewer=world["proctor"], submission=sub)
    assert User.objects.get(pk=loner.pk).identity_verified
