"""Evaluation: span-level NER scores, projection statistics, word-alignment quality."""
