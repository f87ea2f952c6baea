"""`regolith train`: SegFormer training on a generated dataset, resumable, with JSON progress."""
from __future__ import annotations

from .common import check_output, finite_float, int_in

HELP = "train a SegFormer on a dataset (resumable; --json-progress for machines)"

# CLI option -> TrainConfig field; None means "not given", so a TOML value or a resumed run's own wins.
_FIELDS = {"model": "model", "epochs": "epochs", "batch_size": "batch_size", "image_size": "image_size",
           "lr": "lr", "workers": "workers", "seed": "seed", "mix": "mix"}


def add_arguments(p) -> None:
    p.add_argument("--data", required=True,
                   help="dataset dir (rgb/, mask/, frames.jsonl), or a COCO set with sparse labels (a real fine-tune: "
                        "outlined rocks rock, known non-rock 0, the rest ignored; use with --init)")
    p.add_argument("--val", help="separate validation dataset or COCO set (default: hold out whole terrains, or whole "
                                 "source frames of a COCO set, of --data)")
    p.add_argument("--label-map", metavar="TOML", help="COCO category roles (default: data/labelmaps/default.toml)")
    p.add_argument("--out", required=True, help="run dir: checkpoint.pt, model/, metrics.json, curve.png")
    p.add_argument("--model", choices=["b0", "b1", "b2", "b3", "b4", "b5"], help="SegFormer size (default b0)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--image-size", type=int, help="training crop / model input side in pixels (default 512)")
    p.add_argument("--lr", type=finite_float, help="peak learning rate")
    p.add_argument("--workers", type=int, help="DataLoader workers (default: auto)")
    p.add_argument("--seed", type=int)
    p.add_argument("--init", help="start from a local checkpoint (a model dir or a previous RUN_DIR)")
    p.add_argument("--mix", metavar="DIR",
                   help="a dataset whose frames join the training split, e.g. synthetic frames beside a fine-tune "
                        "on a few real COCO-labelled frames, so the classes their labels never show stay learned")
    p.add_argument("--resume", action="store_true", help="continue the run in --out exactly where it stopped")
    p.add_argument("--json-progress", action="store_true", help="one JSON object per event on stdout")
    p.add_argument("--config", help="TOML file with a [train] table (augmentation switches live there)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--max-steps", type=int_in(1, 10**12),
                   help="stop (with a checkpoint) after this many steps in total")
    p.add_argument("--gpus", type=int_in(1, 64), default=1, metavar="N",
                   help="data-parallel over N GPUs (DDP; with --device cpu: N gloo processes). --batch-size is per "
                        "GPU, so the effective batch is N x batch; --lr is not rescaled. Under torchrun the ranks "
                        "come from torchrun")
    p.add_argument("--force", action="store_true", help="run even if the memory preflight says it will not fit")


def run(args) -> int:
    import json
    import sys

    from ..config.train import load_train_config
    from ..learn.progress import Progress
    from ..learn.train import train

    progress = Progress(json_lines=args.json_progress)
    try:
        check_output(args.out)
        explicit = {field: getattr(args, opt) for opt, field in _FIELDS.items()}
        cfg = load_train_config(args.config, explicit, run_dir=args.out, resume=args.resume)
        train(args.data, args.out, cfg, val=args.val, init=args.init, resume=args.resume, device=args.device,
              max_steps=args.max_steps, progress=progress, force=args.force, gpus=args.gpus,
              labelmap=args.label_map)
    except KeyboardInterrupt:
        progress.end()
        if args.json_progress:
            print(json.dumps({"event": "error", "message": "interrupted; rerun with --resume to continue"}), flush=True)
        raise
    except Exception as exc:  # RegolithError: one line via the CLI; anything else keeps its traceback
        progress.end()
        if args.json_progress:
            print(json.dumps({"event": "error", "message": str(exc), "type": type(exc).__name__}), flush=True)
        raise
    finally:
        sys.stdout.flush()
    return 0
