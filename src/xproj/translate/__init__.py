"""Machine translation of sentences between languages."""

from xproj.translate.base import Translator

__all__ = ["Translator"]
