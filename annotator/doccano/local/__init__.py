"""The embedded local doccano: its own venv, its database, and the processes that run it.

``server`` installs doccano 1.8.4 into a venv of its own and starts, stops and checks its web
server and task worker (``LocalDoccano``); ``database`` picks SQLite or PostgreSQL from the
settings; ``doccano_launcher.py`` is the script doccano's interpreter runs (``python -I``, by path,
never imported by the annotator), so it imports nothing from this package.
"""
