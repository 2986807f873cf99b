"""The gold corpus: writers for doccano JSONL, spaCy DocBin, CoNLL/BIO and Hugging Face JSONL,
with a manifest and a verification pass that reads every file back."""
