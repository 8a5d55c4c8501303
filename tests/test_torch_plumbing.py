"""xproj._torch: device names, device and dtype resolution, imports naming the extra."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from xproj._torch import (
    Dtype,
    device_constraint,
    is_device_name,
    resolve_device,
    resolve_dtype,
)
from xproj.errors import ParameterError


def _fake_torch(*, cuda: bool, bf16: bool = True, mps: bool = False) -> Any:
    """A stand-in for the torch module with the availability the test wants."""

    def device(name: str) -> Any:
        kind = name.partition(":")[0]
        if kind not in ("cpu", "cuda", "mps", "meta"):
            raise RuntimeError(f"Expected one of cpu, cuda, ... device type at start of: {name}")
        return SimpleNamespace(type=kind, name=name)

    return SimpleNamespace(
        device=device,
        empty=lambda n, device: None,
        cuda=SimpleNamespace(is_available=lambda: cuda, is_bf16_supported=lambda: bf16),
        backends=SimpleNamespace(mps=SimpleNamespace(is_available=lambda: mps)),
        float32="f32",
        float16="f16",
        bfloat16="bf16",
    )


@pytest.mark.parametrize(
    ("name", "mps", "ok"),
    [
        ("auto", True, True),
        ("cpu", True, True),
        ("cuda", True, True),
        ("cuda:12", True, True),
        ("mps", True, True),
        ("mps", False, False),
        ("cuda:", True, False),
        ("cuda:x", True, False),
        ("cpu\n", True, False),
        ("GPU", True, False),
        (0, True, False),
    ],
)
def test_device_names(name: object, mps: bool, ok: bool) -> None:
    assert is_device_name(name, mps=mps) is ok
    assert device_constraint(mps=mps).accepts(name) is ok


@pytest.mark.parametrize("auto", ["auto", None])
def test_auto_and_none_resolve_to_cuda_only_where_it_is_available(auto: str | None) -> None:
    with_cuda, without = _fake_torch(cuda=True), _fake_torch(cuda=False)
    assert resolve_device(with_cuda, auto, owner="X").type == "cuda"
    assert resolve_device(without, auto, owner="X").type == "cpu"
    assert resolve_device(with_cuda, "cpu", owner="X").type == "cpu"


def test_unavailable_devices_name_the_parameter_and_the_fix() -> None:
    torch = _fake_torch(cuda=False, mps=False)
    with pytest.raises(
        ParameterError,
        match=r"'device' parameter of NLLBTranslator .* no CUDA device\. Got 'cuda:1' instead; "
        r"use device='cpu' or device='auto' \(CUDA when available\)",
    ):
        resolve_device(torch, "cuda:1", owner="NLLBTranslator")
    with pytest.raises(ParameterError, match=r"no MPS device\. .*device='auto'"):
        resolve_device(torch, "mps", owner="TransformersLabeller")


@pytest.mark.parametrize(
    ("path", "default"),
    [
        ("xproj.align.simalign:SimAlignAligner", "cpu"),
        ("xproj.label.transformers:TransformersLabeller", None),
        ("xproj.translate.nllb:NLLBTranslator", "auto"),
    ],
)
def test_every_backend_takes_auto_and_none_and_keeps_its_default(
    path: str, default: str | None
) -> None:
    module, name = path.split(":")
    cls = getattr(importlib.import_module(module), name)
    assert cls().device == default
    assert cls(device="auto").device == "auto" and cls(device=None).device is None
    with pytest.raises(ParameterError, match=f"'device' parameter of {name}"):
        cls(device="gpu")


@pytest.mark.parametrize(
    "path", ["xproj.align.finetune:finetune_encoder", "xproj.label.train:train_labeller"]
)
def test_every_trainer_takes_auto_and_none_and_defaults_to_cpu(path: str) -> None:
    module, name = path.split(":")
    mod = importlib.import_module(module)
    device = mod._CONSTRAINTS["device"]
    assert device.accepts("auto") and device.accepts(None) and not device.accepts("gpu")
    assert inspect.signature(getattr(mod, name)).parameters["device"].default == "cpu"


def test_a_device_that_fails_the_probe_is_a_parameter_error() -> None:
    torch = _fake_torch(cuda=True)

    def empty(n: int, device: Any) -> None:
        raise RuntimeError("CUDA error: invalid device ordinal")

    torch.empty = empty
    with pytest.raises(ParameterError, match=r"Got 'cuda:7' instead \(CUDA error: invalid"):
        resolve_device(torch, "cuda:7", owner="load_embedded_encoder")


def test_real_torch_cpu() -> None:
    torch = pytest.importorskip("torch")
    assert resolve_device(torch, "cpu", owner="X") == torch.device("cpu")
    with pytest.raises(ParameterError, match="Got 'gpu' instead"):
        resolve_device(torch, "gpu", owner="X")


@pytest.mark.parametrize(
    ("dtype", "cuda", "bf16", "expected"),
    [
        (Dtype.AUTO, False, True, "f32"),
        ("auto", True, True, "bf16"),
        ("auto", True, False, "f16"),
        ("float16", False, True, "f16"),
        (Dtype.FLOAT32, True, True, "f32"),
    ],
)
def test_dtype_resolution(dtype: Dtype | str, cuda: bool, bf16: bool, expected: str) -> None:
    torch = _fake_torch(cuda=cuda, bf16=bf16)
    device = SimpleNamespace(type="cuda" if cuda else "cpu")
    assert resolve_dtype(torch, dtype, device) == expected


def test_importing_the_module_imports_no_heavy_package() -> None:
    code = (
        "import sys, xproj._torch;"
        "heavy = [m for m in ('torch', 'transformers') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
