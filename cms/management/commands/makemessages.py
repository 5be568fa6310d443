"""makemessages that also collects strings marked with ``gettext_noop`` imported as ``N_``.

Status labels and the verification page's field names are marked with ``N_`` at import time and
translated when shown; xgettext only knows the keyword if it is told, so without this they would
drop out of the catalogue on every regeneration.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
