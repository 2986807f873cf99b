"""The bridge to doccano: the only package that talks HTTP (through doccano-client)."""
