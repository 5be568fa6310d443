
import pytest


@pytest.fixture(autouse=True)
def _study_hour_requirements(request):
    """The default requirement rows ship in a data migration; transactional tests elsewhere flush
    tables, so make sure they are present (the migration's function is idempotent)."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames \
            and request.node.get_closest_marker("django_db") is None:
        return
    from courses.services import study_hour_requirements_ensure_shipped

    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    study_hour_requirements_ensure_shipped()
