"""Data-parallel training on CPU: two gloo processes on tiny data. The sampler deals each global
batch out by rank, two ranks of batch B take the gradient of one process with batch 2B, and a
killed-and-resumed two-rank run ends with the weights of an uninterrupted one."""
import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from omni.regolith.cli import main  # noqa: E402
from omni.regolith.learn import distributed  # noqa: E402
from omni.regolith.learn.data import EpochSampler  # noqa: E402

from tests.tiny_data import make_dataset  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("data"), frames=12, size=64, terrains=4)


def test_the_sampler_deals_each_global_batch_by_rank_and_resumes():
    one = EpochSampler(10, 4, seed=3)
    ranks = [EpochSampler(10, 2, seed=3, rank=r, world=2) for r in range(2)]
    for s in [one, *ranks]:
        s.set_epoch(0, 0, 2)
    assert ranks[0].batches_per_epoch() == one.batches_per_epoch() == 2
    a, b, whole = list(ranks[0]), list(ranks[1]), list(one)
    assert len(a) == len(ranks[0]) == 8
    dealt = [k for i in range(0, len(a), 2) for k in a[i:i + 2] + b[i:i + 2]]
    assert dealt == whole  # the same (sample, epoch, position) keys: the same images, the same crops
    ranks[1].set_epoch(1, 1, 2)  # resumed at batch 1 of epoch 1: the tail of the uninterrupted stream
    assert list(ranks[1]) == b[-2:]


def first_step_gradients(data, global_batch: int):
    """The gradient of step 0 (no augmentation; model in eval mode so drop-path and batch-norm are
    the same function on every rank) through TrainStep, DDP-averaged when run under `spawn`."""
    from omni.regolith.config.train import train_config_from_dict
    from omni.regolith.learn import data as trainset
    from omni.regolith.learn.step import TrainStep
    from omni.regolith.learn.train import initial_model, load_training_data

    ranks = distributed.from_env() or distributed.SINGLE
    device = distributed.init(ranks, "cpu") if ranks.world > 1 else torch.device("cpu")
    cfg = train_config_from_dict({"model": "b0", "batch_size": global_batch // ranks.world, "image_size": 64,
                                  "grad_clip": 0.0, "augment": {"enabled": False}})
    frames = load_training_data(data, None, cfg, ranks.world)
    model = initial_model(cfg).eval()
    trained = torch.nn.parallel.DistributedDataParallel(model) if ranks.world > 1 else model
    loader, _, _ = trainset.make_loaders(frames.train, frames.val, 64, cfg.batch_size, cfg.augment, cfg.seed, 0,
                                         False, ranks.rank, ranks.world)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    step = TrainStep(trained, opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0), cfg, device, ranks)
    images, masks = next(iter(loader))
    step(images, masks, 0)
    return torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])


def two_rank_checks(data, tmp):
    """Under `spawn`, on both ranks: the first-step gradient, then a 2-epoch run, and the same run
    stopped at step 3 (mid-epoch 2) and resumed, all in one process group (one launch: CI time)."""
    import io

    from omni.regolith.config.train import train_config_from_dict
    from omni.regolith.learn.progress import Progress
    from omni.regolith.learn.train import train

    distributed.init(distributed.from_env(), "cpu")
    grads = first_step_gradients(data, 4)
    cfg = train_config_from_dict({"model": "b0", "epochs": 2, "batch_size": 2, "image_size": 64, "workers": 0,
                                  "lr": 1e-3})
    log = io.StringIO()
    train(data, tmp / "full", cfg, device="cpu", progress=Progress(json_lines=True, stream=log))
    stopped = train(data, tmp / "resumed", cfg, device="cpu", max_steps=3)
    train(data, tmp / "resumed", cfg, device="cpu", resume=True)
    return {"grads": grads, "events": [json.loads(line) for line in log.getvalue().splitlines()],
            "stopped_at": stopped["step"]}


@pytest.fixture(scope="module")
def two_ranks(data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ddp")
    return tmp, distributed.spawn(two_rank_checks, 2, (data, tmp))


def test_two_ranks_of_batch_b_take_the_gradient_of_one_process_of_batch_2b(data, two_ranks):
    two, one = two_ranks[1]["grads"], first_step_gradients(data, 4)
    assert two.shape == one.shape and one.abs().max() > 0
    assert (two - one).abs().max() <= 1e-4 * one.abs().max()


def test_a_two_rank_run_learns_writes_once_and_resumes_exactly(two_ranks):
    tmp, result = two_ranks
    events = result["events"]
    start, epochs = events[0], [e for e in events if e["event"] == "epoch"]
    assert start["gpus"] == 2 and start["effective_batch"] == 4 and start["steps_per_epoch"] == 2
    assert len(epochs) == 2 and epochs[-1]["loss"] < epochs[0]["loss"]
    assert events[-1]["event"] == "done" and events[-1]["complete"]
    assert json.loads((tmp / "full" / "metrics.json").read_text())["gpus"] == 2
    assert (tmp / "full" / "model" / "config.json").is_file()
    assert result["stopped_at"] == 3
    a = torch.load(tmp / "full" / "checkpoint.pt", weights_only=True)
    b = torch.load(tmp / "resumed" / "checkpoint.pt", weights_only=True)
    assert a["step"] == b["step"] == 4 and len(b["rng_ranks"]) == 2
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k


def test_train_gpus_is_checked(data, two_ranks, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:  # argparse's one-line error, exit code 2
        main(["train", "--data", str(data), "--out", str(tmp_path / "r"), "--gpus", "0"])
    assert stop.value.code == 2 and "--gpus" in capsys.readouterr().err
    assert main(["train", "--data", str(data), "--out", str(two_ranks[0] / "full"), "--resume", "--device", "cpu"]) == 2
    assert "trained on 2 GPU(s); resume it with --gpus 2" in capsys.readouterr().err
