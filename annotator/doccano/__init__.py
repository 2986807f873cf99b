"""The bridge to doccano: the only package that talks HTTP (through doccano-client).

``connection`` and ``accounts`` reach a doccano and its users, ``push`` sends pre-annotated examples
into a project, ``pull`` reads the confirmed ones back (``records`` and ``offsets`` convert between
doccano's records and ``Example``), and ``local/`` runs the embedded doccano itself.
"""
