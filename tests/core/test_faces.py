"""Face matching with dlib and the models shipped in face_recognition_models, on real photos that a
package ships (no download at run time)."""

import importlib.util
import io
from pathlib import Path

import pytest
from PIL import Image

from core import faces



@pytest.fixture(autouse=True)
def _matcher_installed():
    if not faces.available():  # `make setup-dev` installs it; a test run without it must say so, not pass
        pytest.fail("face matcher not installed: run `make setup-dev` (requirements-faces.txt)")


def _photos() -> Path:
    spec = importlib.util.find_spec("insightface")
    if spec is None:
        pytest.fail("test photos missing: `make setup-dev` installs requirements-photos.txt")
    return Path(spec.origin).parent / "data" / "images"


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def portrait() -> bytes:
    return (_photos() / "Tom_Hanks_54745.png").read_bytes()


def test_the_same_face_mirrored_and_scaled_matches(portrait):
    with Image.open(io.BytesIO(portrait)) as image:
        still = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((image.width * 2, image.height * 2))
        result = faces.compare(portrait, _png(still), threshold=0.6)
    assert result.outcome == faces.MATCH and result.distance < 0.4


def test_another_person_does_not_match(portrait):
    group = (_photos() / "t1.jpg").read_bytes()
    assert faces.compare(portrait, group).outcome == faces.SEVERAL_FACES
    found = faces.descriptors(group)
    assert len(found) >= 5  # six people; at this size the detector finds five or six
    with Image.open(io.BytesIO(group)) as image:
        # one face of the group photo, cut out on its own
        width = image.width // 6
        crops = [image.crop((i * width, 0, (i + 1) * width, image.height)) for i in range(6)]
    outcomes = [faces.compare(portrait, _png(c)) for c in crops]
    decided = [o for o in outcomes if o.outcome in (faces.MATCH, faces.NO_MATCH)]
    assert decided and all(o.outcome == faces.NO_MATCH for o in decided)


def test_no_face_and_not_an_image(portrait):
    blank = _png(Image.new("RGB", (300, 300), "white"))
    assert faces.compare(portrait, blank).outcome == faces.NO_FACE
    assert faces.compare(portrait, b"not an image").outcome == faces.NO_FACE


def test_near_the_threshold_is_unsure(portrait):
    with Image.open(io.BytesIO(portrait)) as image:
        still = _png(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    exact = faces.compare(portrait, still).distance
    assert faces.compare(portrait, still, threshold=exact, margin=0.05).outcome == faces.UNSURE
