"""The engine's TermIndex keys: one place for the key arithmetic, and no two meanings collide."""

from annotator.engine.term_keys import TermKeys


def test_term_keys_of_own_terms_and_required_words_never_collide() -> None:
    keys = TermKeys(5)
    own = {keys.own_terms(rule) for rule in range(5)}
    words = {keys.required_word(rule) for rule in range(5)}
    assert not own & words
    assert not any(keys.is_required_word(key) for key in own)
    assert all(keys.is_required_word(key) for key in words)


def test_a_required_word_key_leads_back_to_its_token_rule() -> None:
    keys = TermKeys(7)
    assert [keys.token_rule_of(keys.required_word(rule)) for rule in range(7)] == list(range(7))


def test_prefix_keys_and_required_string_keys_never_collide() -> None:
    keys = TermKeys(4)
    prefixes = {keys.prefix(rule) for rule in range(4)}
    required = {keys.required_string(rule) for rule in range(4)}
    assert not prefixes & required
    assert len(prefixes) == len(required) == 4
