"""tlbench.torch_kit: early stopping restores the best epoch, weights round-trip without pickles, a step trains."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tlbench.device import Device  # noqa: E402
from tlbench.errors import DataError  # noqa: E402
from tlbench.system import Context  # noqa: E402
from tlbench.torch_kit import EarlyStopping, load_weights, save_weights, torch_device, train_step  # noqa: E402


def test_early_stopping_restores_the_best_epoch_and_stops_after_patience():
    model = torch.nn.Linear(2, 1)
    stopper = EarlyStopping([model], patience=2)
    kept = None
    for epoch, score in enumerate([(0.5, -1.0), (0.7, -0.9), (0.7, -1.2), (0.6, -0.8)], 1):
        with torch.no_grad():
            model.weight.fill_(float(epoch))
        if stopper.update(score, epoch):
            kept = model.weight.detach().clone()
        if stopper.stop:
            break
    assert (epoch, stopper.best_epoch, stopper.best_score) == (4, 2, (0.7, -0.9))
    stopper.restore()
    assert torch.equal(model.weight, kept) and float(model.weight[0, 0]) == 2.0


def test_weights_round_trip_through_safetensors_and_json(tmp_path):
    state = {"w": torch.arange(6.0).reshape(2, 3), "b": torch.ones(3)}
    save_weights(tmp_path / "m", "model", state, {"labels": ["neg", "pos"]})
    loaded, meta = load_weights(tmp_path / "m", "model")
    assert meta == {"labels": ["neg", "pos"]} and all(torch.equal(loaded[k], state[k]) for k in state)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["model.json", "model.safetensors"]
    with pytest.raises(DataError, match="no saved thing"):
        load_weights(tmp_path / "nothing", "model", what="thing")


def test_train_step_lowers_the_loss_on_the_context_device():
    threads = torch.get_num_threads()
    try:
        device = torch_device(Context(device=Device("cpu"), seed=0), threads=1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)  # process-wide: leave it as the other tests found it
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1).to(device)
    x, y = torch.randn(32, 3), torch.randn(32, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = [train_step(torch.nn.functional.mse_loss(model(x), y), opt, model.parameters(), 1.0) for _ in range(20)]
    assert losses[-1] < losses[0]
