"""Projection: carry source entity spans onto target words through a word alignment."""

from xproj.project.base import AcceptsCandidates, Projector

__all__ = ["AcceptsCandidates", "Projector"]
