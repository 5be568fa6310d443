"""Face matching: is the person in a still the person of a verified portrait?

dlib's face detector, 5-point shape predictor and ResNet descriptor (128 numbers per face) do the
work, with the model files shipped inside the ``face_recognition_models`` package, so nothing is
downloaded at run time. The matcher is optional (``requirements-faces.txt``): without it
``available()`` is False and callers send every still to staff review. Two descriptors closer than
the threshold (catalogue data, usually 0.6) are the same person; within ``margin`` of the threshold
the answer is "unsure" and a person decides.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

MAX_SIDE = 800  # stills are scaled down to this before detection (speed; faces stay large enough)
MAX_PIXELS = 40_000_000

MATCH, NO_MATCH, UNSURE, NO_FACE, SEVERAL_FACES, UNAVAILABLE = (
    "match", "no_match", "unsure", "no_face", "several_faces", "unavailable")

_lock = threading.Lock()
_models = None


@dataclass(frozen=True)
class Comparison:
    outcome: str
    distance: float | None = None

    @property
    def decided(self) -> bool:
        return self.outcome in (MATCH, NO_MATCH)


def _model_dir() -> Path | None:
    spec = importlib.util.find_spec("face_recognition_models")  # its __init__ needs pkg_resources: not imported
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "models"


def _load():
    global _models
    if _models is not None:
        return _models
    with _lock:
        if _models is None:
            try:
                import dlib  # noqa: PLC0415 - optional
                import numpy  # noqa: F401, PLC0415 - optional
            except ImportError:
                _models = False
                return _models
            folder = _model_dir()
            if folder is None or not (folder / "dlib_face_recognition_resnet_model_v1.dat").exists():
                _models = False
                return _models
            _models = (dlib.get_frontal_face_detector(),
                       dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat")),
                       dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat")))
    return _models


def available() -> bool:
    return bool(_load())


def descriptors(data: bytes) -> list:
    """One descriptor per face found in the image (an empty list when none, or unreadable)."""
    import numpy as np
    from PIL import Image, ImageOps

    models = _load()
    if not models:
        return []
    detector, shapes, encoder = models
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                return []
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            pixels = np.asarray(image)
    except Exception:  # noqa: BLE001 - not an image: no face
        return []
    # small photos (an ID-card portrait) are upsampled once so the detector finds the face
    found = detector(pixels, 1 if max(pixels.shape[:2]) < 400 else 0)
    return [np.array(encoder.compute_face_descriptor(pixels, shapes(pixels, box))) for box in found]


def compare(portrait: bytes, still: bytes, *, threshold: float = 0.6, margin: float = 0.05) -> Comparison:
    """Compare a still with a verified portrait."""
    import numpy as np

    if not available():
        return Comparison(UNAVAILABLE)
    reference = descriptors(portrait)
    if len(reference) != 1:
        return Comparison(NO_FACE if not reference else SEVERAL_FACES)
    seen = descriptors(still)
    if not seen:
        return Comparison(NO_FACE)
    if len(seen) > 1:
        return Comparison(SEVERAL_FACES)
    distance = float(np.linalg.norm(reference[0] - seen[0]))
    threshold = float(threshold)
    if abs(distance - threshold) <= margin:
        return Comparison(UNSURE, distance)
    return Comparison(MATCH if distance < threshold else NO_MATCH, distance)
