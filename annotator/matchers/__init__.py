"""One matcher per rule kind. Matchers work on the normalised view of a text and return candidate
matches ``(start, end, rule_index)`` in normalised offsets, already checked against word
boundaries and moved according to the rule's clitic policy."""
