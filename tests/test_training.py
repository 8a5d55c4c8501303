"""xproj._training: batches, schedule, parameter groups and the shared loop on a tiny model."""

from __future__ import annotations

import logging
import math
from typing import Any

import pytest

from xproj._training import (
    Order,
    length_sorted_batches,
    linear_schedule,
    param_groups,
    train_loop,
)


def test_batches_are_length_sorted_and_cover_every_index_once() -> None:
    lengths = [7, 1, 7, 3, 2, 9, 1]
    batches = length_sorted_batches(lengths, batch_size=3)
    assert batches == [[1, 6, 4], [3, 0, 2], [5]]  # stable: equal lengths keep input order
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))


@pytest.mark.parametrize(("steps", "warmup"), [(10, 0), (10, 1), (10, 3), (7, 7), (1, 1)])
def test_schedule_rises_then_falls_to_zero(steps: int, warmup: int) -> None:
    f = linear_schedule(steps, warmup)
    factors = [f(s) for s in range(steps + 1)]
    assert max(factors) == pytest.approx(1.0)
    peak = factors.index(max(factors))
    assert peak == max(0, warmup - 1)
    assert factors[:peak] == sorted(factors[:peak])  # warm-up rises
    assert factors[peak:] == sorted(factors[peak:], reverse=True)  # then decays
    assert factors[-1] == pytest.approx(0.0)
    if warmup == 0:
        assert factors == [1.0 - s / steps for s in range(steps + 1)]


def test_param_groups_split_head_and_decay() -> None:
    torch = pytest.importorskip("torch")
    body, head = torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)
    params = [*body.parameters(), *head.parameters()]
    groups = param_groups(
        params,
        learning_rate=1e-4,
        weight_decay=0.1,
        head={id(p) for p in head.parameters()},
        head_learning_rate=1e-2,
    )
    described = [
        ([tuple(p.shape) for p in g["params"]], g["lr"], g["weight_decay"]) for g in groups
    ]
    assert described == [
        ([(4, 3)], 1e-4, 0.1),
        ([(4,)], 1e-4, 0.0),
        ([(2, 4)], 1e-2, 0.1),
        ([(2,)], 1e-2, 0.0),
    ]
    # no head: no head groups, and everything at the encoder's rate
    assert [g["lr"] for g in param_groups(params, learning_rate=1e-3, weight_decay=0.0)] == [
        1e-3,
        1e-3,
    ]


def _toy(torch: Any) -> tuple[Any, Any, Any]:
    torch.manual_seed(0)
    x = torch.randn(24, 5)
    y = (x[:, 0] > 0).long()
    net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Dropout(0.1), torch.nn.Linear(8, 2))
    return net, x, y


@pytest.mark.parametrize("order", list(Order))
def test_loop_trains_records_and_calls_back_per_pass(
    order: Order, caplog: pytest.LogCaptureFixture
) -> None:
    torch = pytest.importorskip("torch")
    net, x, y = _toy(torch)
    seen: list[list[int]] = []
    modes: list[bool] = []

    def step_loss(batch: list[int]) -> tuple[Any, dict[str, float]]:
        seen.append(batch)
        modes.append(net.training)
        loss = torch.nn.functional.cross_entropy(net(x[batch]), y[batch])
        return loss, {"size": float(len(batch))}

    passes: list[int] = []
    batches = length_sorted_batches([1] * 24, batch_size=5)  # 5 batches, the last of 4

    def after_epoch(step: int) -> None:
        passes.append(step)
        net.eval()

    with caplog.at_level(logging.INFO, logger="test"):
        curve = train_loop(
            net,
            batches,
            step_loss,
            steps=60,
            learning_rate=0.05,
            seed=3,
            order=order,
            log=logging.getLogger("test"),
            warmup_steps=3,
            after_epoch=after_epoch,
        )
    assert len(curve.losses) == 60 and sorted(curve.metrics["size"][:5]) == [4, 5, 5, 5, 5]
    assert sum(curve.losses[-10:]) < 0.7 * sum(curve.losses[:10])
    assert passes == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]
    assert all(modes) and not net.training  # train mode in every step (after the callback too)
    for k in range(12):  # each pass visits every batch once
        assert sorted(map(tuple, seen[5 * k : 5 * k + 5])) == sorted(map(tuple, batches))
    assert "step 50/60: loss" in caplog.text and "size 4.8" in caplog.text


def test_the_two_orders_differ_after_the_first_pass_and_are_seeded() -> None:
    torch = pytest.importorskip("torch")

    def visits(order: Order, seed: int) -> list[list[int]]:
        net, x, y = _toy(torch)
        seen: list[list[int]] = []

        def step_loss(batch: list[int]) -> tuple[Any, dict[str, float]]:
            seen.append(batch)
            return torch.nn.functional.cross_entropy(net(x[batch]), y[batch]), {}

        batches = length_sorted_batches([1] * 24, batch_size=3)
        train_loop(
            net,
            batches,
            step_loss,
            steps=24,
            learning_rate=0.01,
            seed=seed,
            order=order,
            log=logging.getLogger("test"),
        )
        return seen

    fresh, chained = visits(Order.FRESH, 1), visits(Order.CHAINED, 1)
    assert fresh[:8] == chained[:8]  # the first pass shuffles the sorted batches alike
    assert fresh[8:] != chained[8:]
    assert fresh == visits(Order.FRESH, 1) and fresh != visits(Order.FRESH, 2)


def test_gradients_are_clipped_to_norm_one(monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    net = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(net.weight)
    norms: list[float] = []
    original = torch.optim.AdamW.step

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        norms.append(math.sqrt(sum(float(p.grad.pow(2).sum()) for p in net.parameters())))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", spy)
    train_loop(
        net,
        [[0]],
        lambda batch: ((net(torch.ones(1, 1)) - 1000.0).pow(2).sum(), {}),
        steps=2,
        learning_rate=0.1,
        seed=0,
        order=Order.FRESH,
        log=logging.getLogger("test"),
    )
    assert norms and all(n == pytest.approx(1.0) for n in norms)  # raw gradient is 2000


def test_no_batches_is_an_error_not_an_endless_loop() -> None:
    torch = pytest.importorskip("torch")

    net = torch.nn.Linear(2, 2)

    def step_loss(batch: list[int]) -> tuple[Any, dict[str, float]]:
        raise AssertionError("no step is taken")

    with pytest.raises(ValueError, match="no batches to train on"):
        train_loop(
            net,
            [],
            step_loss,
            steps=5,
            learning_rate=0.01,
            seed=0,
            order=Order.FRESH,
            log=logging.getLogger("test"),
        )
