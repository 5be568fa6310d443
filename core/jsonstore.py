"""JSON as stored in the database: Chinese text as itself.

Django's JSONField writes with ``json.dumps``' default ``ensure_ascii=True``, so every Chinese
character becomes a six-byte ``\\uXXXX`` escape, which the database driver then escapes again when it
binds the value. For a large document of Chinese text (a 10,000-row roster check's results) that
made the stored text a quarter longer and its one INSERT noticeably slower. The values read back
are the same.
"""

from django.core.serializers.json import DjangoJSONEncoder


class UnicodeJSONEncoder(DjangoJSONEncoder):
    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)
