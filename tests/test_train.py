"""Training end to end on a tiny dataset (SegFormer-b0 at 64x64 on CPU), resume, errors, loading."""
import io
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from omni.regolith.cli import main  # noqa: E402
from omni.regolith.learn.progress import Progress
from omni.regolith.config.train import TrainConfig, train_config_from_dict
from omni.regolith.learn.train import train  # noqa: E402

try:  # tests/ is a package in this repo; stay importable if it ever is not
    from .tiny_data import make_dataset
except ImportError:
    from tiny_data import make_dataset

FAST = {"model": "b0", "epochs": 4, "batch_size": 3, "image_size": 64, "workers": 0, "lr": 1e-3,
        "schedule": "constant", "warmup_fraction": 0.0}
CLI_FAST = ["--model", "b0", "--epochs", "4", "--batch-size", "3", "--image-size", "64", "--workers", "0",
            "--lr", "1e-3", "--device", "cpu"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """2 shared cores: one intra-op thread is faster here and keeps runs bitwise repeatable."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("data"), frames=12, size=64, terrains=4)


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    """One uninterrupted run; its JSON progress lines."""
    out = tmp_path_factory.mktemp("run") / "full"
    stream = io.StringIO()
    cfg = train_config_from_dict({**FAST, "schedule": "poly", "warmup_fraction": 0.1})
    train(data, out, cfg, device="cpu", progress=Progress(json_lines=True, stream=stream))
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    return out, events


def test_loss_goes_down_and_all_outputs_are_written(run):
    out, events = run
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and kinds.count("epoch") == 4
    epochs = [e for e in events if e["event"] == "epoch"]
    assert epochs[-1]["loss"] < 0.8 * epochs[0]["loss"]
    for e in events:
        if e["event"] == "step":
            assert {"step", "epoch", "loss", "lr", "images_per_s"} <= e.keys()
        if e["event"] == "epoch":
            assert {"rock_iou", "miou", "per_class_iou"} <= e.keys()
    done = events[-1]
    assert done["complete"] and done["step"] == 4 * 3
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["confusion_matrix"]) == 3 and metrics["pixels"] > 0
    assert set(metrics["per_class_iou"]) == {"regolith", "rock", "sky"}
    saved = json.loads((out / "train_config.json").read_text())
    assert saved["config"]["image_size"] == 64 and saved["val_frames"] == 3  # 1 of 4 terrains
    assert (out / "curve.png").stat().st_size > 1000


def test_saved_model_loads_with_plain_transformers(run):
    from transformers import SegformerForSemanticSegmentation, SegformerImageProcessor

    model = SegformerForSemanticSegmentation.from_pretrained(run[0] / "model").eval()
    proc = SegformerImageProcessor.from_pretrained(run[0] / "model")
    assert model.config.id2label == {0: "regolith", 1: "rock", 2: "sky"}
    assert not proc.do_reduce_labels
    inputs = proc(images=np.zeros((48, 80, 3), np.uint8), return_tensors="pt")
    assert tuple(inputs["pixel_values"].shape) == (1, 3, 64, 64)
    with torch.no_grad():
        assert tuple(model(**inputs).logits.shape) == (1, 3, 16, 16)


def test_segmenter_predicts_at_the_original_resolution(run, tmp_path, monkeypatch):
    from omni.regolith.learn import inference
    from omni.regolith.errors import ModelError

    seg = inference.Segmenter.load(run[0], device="cpu")  # a RUN_DIR resolves to RUN_DIR/model
    rgb = np.random.default_rng(0).integers(0, 255, (50, 70, 3), dtype=np.uint8)
    mask = seg.predict(rgb)
    assert mask.shape == (50, 70) and mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1, 2}
    assert seg.predict(rgb[:, :, 0]).shape == (50, 70)  # grayscale
    masks = seg.predict_batch([rgb, rgb[:20, :30], rgb])
    assert [m.shape for m in masks] == [(50, 70), (20, 30), (50, 70)]
    assert (masks[0] == mask).all()
    monkeypatch.setattr(inference, "DEFAULT_MODEL_DIR", tmp_path / "none")
    with pytest.raises(ModelError, match="regolith train"):
        inference.Segmenter.load()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (CI has none; run on a GPU box)")
def test_cuda_graphs_and_pinned_staging_predict_what_eager_does():
    from omni.regolith.learn.inference import Segmenter
    from omni.regolith.learn.model import build_model

    torch.manual_seed(0)
    model = build_model("b0").eval()
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (128, 160, 3), dtype=np.uint8) for _ in range(3)] + [np.zeros((96, 64, 3), np.uint8)]
    graphs = Segmenter(model, (128, 128), device="cuda", cuda_graphs=True)
    eager = Segmenter(model, (128, 128), device="cuda", cuda_graphs=False)
    for a, b in zip(graphs.predict_batch(frames, batch_size=2) + [graphs.predict(frames[0])],
                    eager.predict_batch(frames, batch_size=2) + [eager.predict(frames[0])]):
        assert (a == b).all()


def test_kill_and_resume_matches_the_uninterrupted_run(run, data, tmp_path, capsys):
    out = tmp_path / "resumed"
    args = ["train", "--data", str(data), "--out", str(out), *CLI_FAST, "--json-progress"]
    cfg_file = tmp_path / "t.toml"
    cfg_file.write_text('[train]\nschedule = "poly"\nwarmup_fraction = 0.1\n')
    assert main(args + ["--config", str(cfg_file), "--max-steps", "5"]) == 0  # stops mid-epoch 2
    first = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert first[-1]["event"] == "done" and first[-1]["step"] == 5 and not first[-1]["complete"]
    assert main(args[:-1] + ["--resume"]) == 0  # config comes back from the run dir
    assert "done" in capsys.readouterr().out
    a = torch.load(run[0] / "checkpoint.pt", weights_only=True)
    b = torch.load(out / "checkpoint.pt", weights_only=True)
    assert a["step"] == b["step"] == 12 and a["epoch"] == b["epoch"] == 4
    assert a["model"].keys() == b["model"].keys()
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert json.loads((out / "metrics.json").read_text())["miou"] == json.loads(
        (run[0] / "metrics.json").read_text())["miou"]


def _cli_error(capsys, argv, *needles):
    assert main(["train", *argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    for n in needles:
        assert n in lines[0], lines[0]
    return captured


def test_bad_inputs_give_one_line_errors(data, tmp_path, capsys):
    from PIL import Image

    empty = tmp_path / "empty"
    empty.mkdir()
    got = _cli_error(capsys, ["--data", str(empty), "--out", str(tmp_path / "r0"), "--json-progress"], "no frames")
    assert json.loads(got.out.splitlines()[-1])["event"] == "error"

    bad = make_dataset(tmp_path / "bad", frames=8, size=32)
    m = np.array(Image.open(bad / "mask" / "00003.png"))
    m[0, 0] = 7
    Image.fromarray(m).save(bad / "mask" / "00003.png")
    _cli_error(capsys, ["--data", str(bad), "--out", str(tmp_path / "r1"), "--image-size", "32"],
               "00003.png holds values 7")

    (bad / "rgb" / "00005.png").unlink()
    _cli_error(capsys, ["--data", str(bad), "--out", str(tmp_path / "r2")], "missing", "00005.png")

    one = make_dataset(tmp_path / "one", frames=4, size=32, terrains=1)
    _cli_error(capsys, ["--data", str(one), "--out", str(tmp_path / "r3")], "terrain", "--val")

    _cli_error(capsys, ["--data", str(data), "--out", str(tmp_path / "r4"), "--resume"], "--resume")
    _cli_error(capsys, ["--data", str(data), "--out", str(tmp_path / "r5"), "--image-size", "60"], "multiple of 32")
    toml = tmp_path / "bad.toml"
    toml.write_text("[train]\nepochs = -1\n[train.augment]\njpeg = 3\n")
    _cli_error(capsys, ["--data", str(data), "--out", str(tmp_path / "r6"), "--config", str(toml)],
               "train.epochs", "train.augment.jpeg")


def test_init_from_a_checkpoint_with_other_labels_is_refused(data, tmp_path, capsys):
    from transformers import SegformerConfig, SegformerForSemanticSegmentation

    cfg = SegformerConfig(num_labels=5, hidden_sizes=[32, 64, 160, 256], decoder_hidden_size=256)
    SegformerForSemanticSegmentation(cfg).save_pretrained(tmp_path / "ade")
    capsys.readouterr()  # drop transformers' own save progress bar
    _cli_error(capsys, ["--data", str(data), "--out", str(tmp_path / "r"), "--init", str(tmp_path / "ade"), *CLI_FAST],
               "not regolith's")
    _cli_error(capsys, ["--data", str(data), "--out", str(tmp_path / "r"), "--init", str(tmp_path / "nowhere"), *CLI_FAST],
               "no model at")


def test_init_from_the_fp16_default_model_trains_in_fp32(data, tmp_path):
    """The embedded model ships in fp16; fine-tuning it must not update fp16 weights with AdamW.
    Fine-tuned as the default model was (Lovasz term on, no zooming crop)."""
    from safetensors.numpy import load_file

    from omni.regolith.learn.inference import DEFAULT_MODEL_DIR

    cfg = train_config_from_dict({**FAST, "epochs": 1, "lovasz_weight": 1.0, "augment": {"crop": False}})
    train(data, tmp_path / "ft", cfg, init=DEFAULT_MODEL_DIR, device="cpu", progress=Progress(stream=io.StringIO()))
    weights = load_file(str(tmp_path / "ft" / "model" / "model.safetensors"))
    assert {w.dtype for w in weights.values() if w.dtype.kind == "f"} == {np.dtype("float32")}


def test_embedded_models_load_by_name_with_their_input_sizes(tmp_path, monkeypatch):
    """`--model fast` works from any folder; a path that exists wins over an embedded name."""
    from omni.regolith.errors import ModelError
    from omni.regolith.learn.inference import DEFAULT_MODEL_DIR, Segmenter
    from omni.regolith.learn.model import EMBEDDED_MODELS, resolve_model_dir

    monkeypatch.chdir(tmp_path)
    assert resolve_model_dir("fast") == EMBEDDED_MODELS / "fast"
    assert resolve_model_dir("default") == DEFAULT_MODEL_DIR
    assert Segmenter.load("fast", device="cpu").size == (512, 512)
    assert Segmenter.load(device="cpu").size == (1024, 1024)
    (tmp_path / "fast").mkdir()
    with pytest.raises(ModelError, match="no config.json"):
        resolve_model_dir("fast")
    with pytest.raises(ModelError, match="no model at"):
        resolve_model_dir("quick")


def test_geometric_augmentation_keeps_mask_ids_and_photometric_is_seeded():
    from PIL import Image

    from omni.regolith.config.train import AugmentConfig
    from omni.regolith.learn.augment import geometric, photometric

    mask = np.zeros((40, 60), np.uint8)
    mask[10:20, 10:30], mask[0] = 1, 255
    rgb = Image.fromarray(np.full((40, 60, 3), 128, np.uint8))
    img, m = geometric(rgb, Image.fromarray(mask), np.random.default_rng(1), AugmentConfig(), 32)
    assert img.shape == (32, 32, 3) and m.shape == (32, 32) and set(np.unique(m)) <= {0, 1, 255}
    x = torch.rand(2, 3, 32, 32) * 255
    a = photometric(x, torch.Generator().manual_seed(3), AugmentConfig())
    b = photometric(x, torch.Generator().manual_seed(3), AugmentConfig())
    assert torch.equal(a, b) and a.min() >= 0 and a.max() <= 255 and not torch.equal(a, x)
    assert torch.equal(photometric(x, torch.Generator(), AugmentConfig(enabled=False)), x)


def test_fast_decode_head_matches_the_transformers_one():
    from omni.regolith.learn.model import build_model

    torch.manual_seed(0)
    ref = build_model("b0", fast_head=False)
    fast = build_model("b0")
    fast.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 64, 96)
    for m in (ref, fast):  # batch-norm on batch statistics, drop-path, gradients; the final dropout
        m.train()          # draws its mask in memory order, which differs with the tensor's layout
        m.decode_head.dropout.eval()
    torch.manual_seed(1)
    a = ref(pixel_values=x).logits
    torch.manual_seed(1)
    b = fast(pixel_values=x).logits
    assert torch.allclose(a, b, atol=1e-5, rtol=1e-4)
    a.square().mean().backward()
    b.square().mean().backward()
    for p, q in zip(ref.parameters(), fast.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-5, rtol=1e-3)


def test_matmul_upsampling_equals_interpolate():
    import torch.nn.functional as F

    from omni.regolith.learn.model import _interp_matrix

    for h, w, H, W in [(16, 16, 128, 128), (32, 24, 128, 96), (17, 9, 50, 70), (128, 128, 64, 64)]:
        x = torch.randn(2, 5, h, w)
        ref = F.interpolate(x, size=(H, W), mode="bilinear", align_corners=False)
        got = (_interp_matrix(h, H, x.device) @ x) @ _interp_matrix(w, W, x.device).T
        assert torch.allclose(ref, got, atol=1e-5)


def test_matmul_upsampling_compiles_into_one_graph():
    """A graph break here (reading inference mode) once left the whole decode head uncompiled on GPUs."""
    import torch.nn.functional as F

    from omni.regolith.learn.model import _interp_matrix

    def up(x):
        return (_interp_matrix(16, 64, x.device) @ x) @ _interp_matrix(12, 48, x.device).T

    x = torch.randn(1, 2, 16, 12)
    with torch.inference_mode():
        got = torch.compile(up, fullgraph=True, backend="eager")(x)  # fullgraph: a break raises
    assert torch.allclose(got, F.interpolate(x, size=(64, 48), mode="bilinear", align_corners=False), atol=1e-5)


def test_config_defaults_validate():
    assert train_config_from_dict({}) == TrainConfig()
