"""Named-entity labelling of sentences."""

from xproj.label.base import Labeller

__all__ = ["Labeller"]
