"""The configuration `manage.py serve` gives gunicorn: gevent's patches first, then
core/gunicorn_conf.py.

gevent's workers patch the standard library when each of them starts. The master has imported
Django's settings before that (the logger's set-up reads them), and with the files in an S3
bucket (QF_MEDIA_S3_BUCKET) the settings import botocore, which imports urllib3 and keeps
`ssl.SSLContext` as it was then: once a worker patched `ssl`, every TLS context botocore made
recursed until Python gave up (gevent issue 1016), so every upload to the bucket failed with
a RecursionError — found by scripts/multihost.py, tested by core/tests/test_serve.py. Patched
here, in the master, before the settings are read, botocore and urllib3 see the patched module
and the workers inherit it. (Not in gunicorn_conf itself: the tests import that module.)
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

from qingfeng.core.gunicorn_conf import *  # noqa: E402, F403 - gunicorn reads the settings
