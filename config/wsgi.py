"""The WSGI application gunicorn serves (docs/deployment.md)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

# Python's cyclic garbage collector: the youngest generation is collected after this many new
# container objects (Python's default is 700). A page like the scores grid of a 120-person
# event makes tens of thousands of them, so at 700 it paid several collections per request.
GC_YOUNGEST_THRESHOLD = 20_000


def tune_garbage_collector() -> None:
    """Once the application is loaded. The objects made while starting (modules, settings, URL
    patterns, model metadata: about 120,000) live as long as the process, but every full
    collection walked them all: one request in ten to fifteen took 100-150 ms more at the
    national data set (benchmarks.pages, the scores grid's p95 157-184 ms against a p50 of
    52-63). Frozen, the collector no longer looks at them; fewer, larger young collections
    promote fewer of a request's short-lived objects to the old generation."""
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNGEST_THRESHOLD, middle, oldest)


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
tune_garbage_collector()
