"""Test doubles for configured runs: a plugin file's text (written to a test's folder and named
in a config's ``plugins``) whose model stages take no time, and the stage specs that use them.

Importing the plugin registers its classes in the process-wide registries;
:func:`unregister_doubles` takes them out again, so that no test sees another's registrations.
"""

from __future__ import annotations

import xproj

#: The plugin's source; the runs import it through ``plugins = [...]``.
PLUGIN = '''
import os
import time
from dataclasses import dataclass

import xproj
from xproj.align.base import Aligner
from xproj.errors import InputError
from xproj.label.base import Labeller
from xproj.translate.base import Translator
from xproj.types import Alignment, LabelledSentence, Sentence, Span


@dataclass(kw_only=True)
class DiagonalAligner(Aligner):
    """Links word i to word i; sleeps `delay` seconds per call; counts calls in `log`."""

    delay: float = 0.0
    log: str = ""
    fail_on: str = ""

    def _align(self, sources, targets):
        for k, s in enumerate(sources):
            if self.fail_on in s.words:
                raise InputError(f"cannot align {self.fail_on!r}", sentence=k)
        if self.log:
            with open(self.log, "a") as f:
                f.write(f"{len(sources)}\\n")
        time.sleep(self.delay)
        return [
            Alignment(len(s), len(t), tuple((i, i) for i in range(min(len(s), len(t)))))
            for s, t in zip(sources, targets)
        ]


@dataclass(kw_only=True)
class UpperTranslator(Translator):
    def _translate(self, sentences, tgt_lang):
        return [Sentence(tuple(w.upper() for w in s.words), tgt_lang) for s in sentences]


@dataclass(kw_only=True)
class CapsLabeller(Labeller):
    """Every word starting with a capital letter is a one-word PER."""

    def _label(self, sentences):
        return [
            LabelledSentence(
                s.words,
                tuple(Span(i, i + 1, "PER") for i, w in enumerate(s.words) if w[:1].isupper()),
                s.lang,
            )
            for s in sentences
        ]


for reg, name, cls in [
    (xproj.aligners, "test-diagonal", DiagonalAligner),
    (xproj.translators, "test-upper", UpperTranslator),
    (xproj.labellers, "test-caps", CapsLabeller),
]:
    if name not in reg.names():
        reg.register(name, cls)
'''

#: (registry, name) of every class the plugin registers.
DOUBLE_NAMES = (
    (xproj.aligners, "test-diagonal"),
    (xproj.translators, "test-upper"),
    (xproj.labellers, "test-caps"),
)

#: The stages of a translate-test run made of the doubles (and the real heuristic projector).
TEST_STAGES = {
    "translator": {"backend": "test-upper"},
    "labeller": {"backend": "test-caps"},
    "aligner": {"backend": "test-diagonal"},
    "projectors": [{"backend": "heuristic"}],
}


def unregister_doubles() -> None:
    """Take the plugin's classes out of the registries (where a run registered them)."""
    for registry, name in DOUBLE_NAMES:
        if name in registry.names():
            registry.unregister(name)
