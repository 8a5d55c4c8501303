"""Tiny token-classification models built locally: random weights, tokenizers trained here;
nothing is downloaded. Used by the label conftest and the NER scorer tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _tiny import encoder_config, unigram_tokenizer, wordpiece_tokenizer

CONLL_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
TAGS = {
    "id2label": dict(enumerate(CONLL_TAGS)),
    "label2id": {t: i for i, t in enumerate(CONLL_TAGS)},
}

CORPUS = [
    "Angela Merkel visited Paris on Monday .",
    "The European Parliament met in Brussels with the Commission .",
    "Mrs Thatcher spoke to President Clinton about the United Nations .",
    "Peter Blackburn reports from Strasbourg for Reuters .",
    "Germany 's imports of British lamb fell sharply in August .",
    "Loyola de Palacio answered questions from the European Parliament .",
]


def _classifier(model_class: str, config: Any, seed: int, path: Path) -> Path:
    """Save a random token classifier with larger classifier weights than the default init,
    so that arg-max tags vary between words."""
    import torch
    import transformers

    torch.manual_seed(seed)
    model = getattr(transformers, model_class)(config)
    torch.nn.init.normal_(model.classifier.weight, std=1.0)
    model.save_pretrained(path)
    return path


def _bert(path: Path) -> Path:
    # a small vocabulary, so that most words split into several subwords
    fast = wordpiece_tokenizer(
        CORPUS * 5, vocab_size=120, model_max_length=128, fast_class="BertTokenizerFast"
    )
    config = encoder_config(
        "BertConfig", vocab_size=len(fast), layers=2, positions=128, pad_token_id=0, **TAGS
    )
    fast.save_pretrained(path)
    return _classifier("BertForTokenClassification", config, 0, path)


def _bert_encoder(path: Path) -> Path:
    """The encoder of :func:`_bert` saved alone (a ``BertModel``, no classifier): a model
    that ``train_labeller`` gives a newly initialised classifier."""
    import torch
    import transformers

    fast = wordpiece_tokenizer(
        CORPUS * 5, vocab_size=120, model_max_length=128, fast_class="BertTokenizerFast"
    )
    config = encoder_config(
        "BertConfig", vocab_size=len(fast), layers=2, positions=128, pad_token_id=0
    )
    fast.save_pretrained(path)
    torch.manual_seed(0)
    transformers.BertModel(config, add_pooling_layer=False).save_pretrained(path)
    return path


def _xlmr(path: Path) -> Path:
    fast = unigram_tokenizer(CORPUS * 5, vocab_size=150, model_max_length=64, nfkc=False)
    config = encoder_config(
        "XLMRobertaConfig",
        vocab_size=len(fast),
        layers=2,
        positions=66,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        **TAGS,
    )
    fast.save_pretrained(path)
    return _classifier("XLMRobertaForTokenClassification", config, 1, path)
