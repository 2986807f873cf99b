"""annotator: Arabic rule-based pre-annotation, doccano correction, gold corpus export."""

__version__ = "0.1.0"
