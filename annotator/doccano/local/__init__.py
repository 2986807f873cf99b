"""The embedded local doccano: its own venv, its database, and the processes that run it.

``server`` installs doccano 1.8.4 into a venv of its own and starts, stops and checks its web
server and task worker (``LocalDoccano``), built from ``processes`` (which processes it started,
and stopping them), ``health`` (what answers on the port), ``credentials`` (the 0600 credentials
file) and ``launch`` (command lines, environments and logs of doccano's processes); ``database``
picks SQLite or PostgreSQL from the settings; ``doccano_launcher.py`` is the script doccano's
interpreter runs (``python -I``, by path, never imported by the annotator), so it imports nothing
from this package.
"""
