"""Word alignment between source and target sentences."""

from xproj.align.base import Aligner

__all__ = ["Aligner"]
