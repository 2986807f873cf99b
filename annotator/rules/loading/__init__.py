"""The pack loader's parts, one per concern; ``annotator.rules.loader`` puts them together.

``keys`` holds the keys each part of a pack may have and the checks' shared helpers; ``header``
reads the policies of ``pack.yaml``; ``macros`` the named regexes; ``terms`` the term sources and
the check of every pattern; ``kinds`` holds one validator per rule kind. Each is a mixin of
``loader._PackLoader``, which keeps the state they share (the problems found, labels, macros).
"""
