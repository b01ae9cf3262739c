"""manage.py verify_draw <draw id or certificate file>: recompute a draw from its certificate
(drawing.verify, the same code as the stand-alone verify_draw.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qingfeng.oversight import drawing
from qingfeng.oversight.actions import certificate
from qingfeng.oversight.models import Draw


class Command(BaseCommand):
    help = "Recompute a draw from its certificate and compare (双随机 verification)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("draw", help="a draw id, number, or a certificate file (JSON)")

    def handle(self, *args: Any, **options: Any) -> None:
        given: str = options["draw"]
        path = Path(given)
        if path.is_file():
            cert = json.loads(path.read_text(encoding="utf-8"))
        else:
            draw = Draw.objects.filter(number=given).first()
            if draw is None and given.isdigit():
                draw = Draw.objects.filter(pk=int(given)).first()
            if draw is None:
                raise CommandError(f"no draw or certificate file {given!r}")
            if draw.status != Draw.Status.DRAWN:
                raise CommandError(f"draw {draw.number} has not been drawn yet")
            cert = certificate(draw)
        problems = drawing.verify(cert)
        for line in problems:
            self.stdout.write(f"FAILED: {line}")
        if problems:
            raise SystemExit(1)
        count = len(cert["result"]["targets"])
        self.stdout.write(f"OK: {cert.get('number', '')} verifies ({count} targets)")
