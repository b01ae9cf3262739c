"""`python -m qingfeng` and the installed `qingfeng` command: Django's manage.py for an
installed Qingfeng (the offline bundle), where there is no repository and no manage.py."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingfeng.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["qingfeng", *sys.argv[1:]])


if __name__ == "__main__":
    main()
