"""Evaluation, the last layer of the pipeline: how good the rules are and what to correct next.

``evaluate`` scores predictions against gold (strict and clitic-tolerant, per label and per rule),
``effort`` measures the corrections between the pushed and the confirmed spans, ``intervals``
gives the confidence intervals both report, ``files`` scores files and export folders as
``annotator evaluate`` does, ``select`` picks the next batch for correction,
``learn/`` turns corrected gold into a pack that extends the rules, and ``report/`` renders it all
as one HTML page. These modules read corpora, exports and packs; nothing earlier imports them.
"""
