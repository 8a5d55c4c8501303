"""Readers and writers: CoNLL-style NER files, tag schemes, Pharaoh alignments."""
