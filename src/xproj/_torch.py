"""Torch and transformers plumbing shared by the neural backends (private).

The aligner (:mod:`xproj.align.simalign`, :mod:`xproj.align.embedded`), the labeller
(:mod:`xproj.label.transformers`) and the translator (:mod:`xproj.translate.nllb`) import the
heavy packages, check device names, resolve devices and choose floating-point types through these
functions.

One device rule holds for every ``device`` parameter: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` (and
``"mps"`` where a backend supports it) name a device, which must exist on this machine; ``"auto"``
and ``None`` both mean CUDA when available, else the CPU. Each backend keeps its own default.

Importing this module imports neither torch nor transformers: callers pass in the ``torch``
module they got from :func:`xproj._extras.import_extra`.

Examples
--------
>>> is_device_name("cuda:1"), is_device_name("mps", mps=False), is_device_name("gpu")
(True, False, False)
>>> device_constraint(mps=False).describe()
"None or one of 'auto', 'cpu', 'cuda', 'cuda:N'"
>>> Dtype("bfloat16")
<Dtype.BFLOAT16: 'bfloat16'>
"""

from __future__ import annotations

import enum
import re
from typing import Any

from xproj.errors import ParameterError
from xproj.params import Predicate

__all__ = [
    "Dtype",
    "device_constraint",
    "is_device_name",
    "resolve_device",
    "resolve_dtype",
]

_DEVICE = re.compile(r"auto|cpu|mps|cuda(:[0-9]+)?")


class Dtype(str, enum.Enum):
    """The model's floating-point type. ``AUTO`` is float32 on CPU and half precision on CUDA
    (bfloat16 where the GPU supports it, else float16)."""

    AUTO = "auto"
    FLOAT32 = "float32"
    FLOAT16 = "float16"
    BFLOAT16 = "bfloat16"


def is_device_name(value: Any, *, mps: bool = True) -> bool:
    """Whether ``value`` is ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` (or ``"mps"``).

    Examples
    --------
    >>> [is_device_name(d) for d in ("auto", "cuda:0", "mps", "cuda:", "GPU", None)]
    [True, True, True, False, False, False]
    """
    if not isinstance(value, str) or _DEVICE.fullmatch(value) is None:
        return False
    return mps or value != "mps"


def device_constraint(*, mps: bool = True) -> Predicate:
    """The parameter constraint of a ``device``: None or a name :func:`is_device_name` accepts.

    Examples
    --------
    >>> device_constraint().describe()
    "None or one of 'auto', 'cpu', 'cuda', 'cuda:N', 'mps'"
    >>> device_constraint().accepts("cuda:3"), device_constraint().accepts(None)
    (True, True)
    """
    names = "'auto', 'cpu', 'cuda', 'cuda:N'" + (", 'mps'" if mps else "")
    return Predicate(lambda v: v is None or is_device_name(v, mps=mps), f"None or one of {names}")


def resolve_device(torch: Any, device: str | None, *, owner: str) -> Any:
    """The ``torch.device`` a backend's ``device`` parameter names, checked to exist here.

    ``"auto"`` and ``None`` both mean CUDA when available, else the CPU; any other value is
    given to ``torch.device`` and must name a device present on this machine.

    Parameters
    ----------
    torch
        The imported ``torch`` module.
    device
        The parameter's value.
    owner
        The class or function whose parameter it is, for error messages.

    Raises
    ------
    ParameterError
        If torch does not know the device, or the device is not available on this machine
        (CUDA or MPS absent, a CUDA index beyond the GPUs present).

    Examples
    --------
    >>> import torch
    >>> resolve_device(torch, "cpu", owner="NLLBTranslator")
    device(type='cpu')
    >>> resolve_device(torch, "gpu", owner="NLLBTranslator")
    Traceback (most recent call last):
    ...
    xproj.errors.ParameterError: The 'device' parameter of NLLBTranslator must be a torch \
device such as 'cpu', 'cuda' or 'cuda:0'. Got 'gpu' instead.
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError) as e:
        raise ParameterError(
            f"The 'device' parameter of {owner} must be a torch device such as 'cpu', 'cuda' "
            f"or 'cuda:0'. Got {device!r} instead."
        ) from e
    use = "device='cpu' or device='auto' (CUDA when available)"
    for kind, name, available in (
        ("cuda", "CUDA", torch.cuda.is_available),
        ("mps", "MPS", torch.backends.mps.is_available),
    ):
        if dev.type == kind and not available():
            raise ParameterError(
                f"The 'device' parameter of {owner} must name a device available here, but "
                f"torch sees no {name} device. Got {device!r} instead; use {use}."
            )
    try:
        torch.empty(0, device=dev)  # fails fast where the device is absent ("cuda:7")
    except (RuntimeError, ValueError, AssertionError) as e:
        raise ParameterError(
            f"The 'device' parameter of {owner} must name a torch device available here, such "
            f"as 'cpu' or 'cuda:0'. Got {device!r} instead ({e}); use {use}."
        ) from None
    return dev


def resolve_dtype(torch: Any, dtype: Dtype | str, device: Any) -> Any:
    """The ``torch.dtype`` for a :class:`Dtype` on a resolved ``device``.

    ``AUTO`` is float32 on anything but CUDA; on CUDA, bfloat16 where the GPU supports it,
    else float16.

    Examples
    --------
    >>> import torch
    >>> resolve_dtype(torch, "auto", torch.device("cpu")), resolve_dtype(torch, "float16", None)
    (torch.float32, torch.float16)
    """
    d = Dtype(dtype)
    if d is Dtype.AUTO:
        if device.type != "cuda":
            d = Dtype.FLOAT32
        elif torch.cuda.is_bf16_supported():
            d = Dtype.BFLOAT16
        else:
            d = Dtype.FLOAT16
    return getattr(torch, d.value)
