"""`regolith experiment`: arms x training seeds, generated, trained and scored; resumable."""
from __future__ import annotations

HELP = "run an experiment: arms (config overrides) x training seeds, scored on synthetic and real sets (resumable)"


def add_arguments(p) -> None:
    p.add_argument("config", help="experiment TOML ([experiment], [train], [arms.NAME] tables; "
                                  "see experiments/configs/rock_fidelity.toml)")
    p.add_argument("--out", required=True, help="experiment dir (rerun the same command to resume)")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes (64x64 frames, a handful of frames, 2 steps, 4 images per set): the whole "
                        "plumbing in minutes on a CPU")
    p.add_argument("--gpus", help="GPU ids to run on, one process each, e.g. 0,1,2,3 (default: none given: "
                                  "one task at a time in this process)")
    p.add_argument("--per-gpu", type=int, default=1, metavar="N",
                   help="processes sharing each GPU (or, without --gpus, tasks at once as processes)")
    p.add_argument("--engine", choices=["processes", "dask"], default="processes",
                   help="run the tasks as child processes here (default), or on a Dask cluster: a local one over "
                        "the --gpus x --per-gpu slots, or the one at --scheduler")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler (implies --engine dask)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--force", action="store_true",
                   help="pass --force to generate and train: their memory preflight sizes one job, not several "
                        "sharing a GPU (check with `regolith doctor` first)")
    p.add_argument("--report-only", action="store_true",
                   help="run nothing: read the arms again from the scores already in --out (metrics.json, "
                        "report.md and arms.png rewritten; no models needed)")
    p.add_argument("--data-root", metavar="DIR",
                   help="where the real sets are (default: $REGOLITH_DATA, else ../shared/data)")


def parse_gpus(text):
    from ..errors import ConfigError

    if not text:
        return ()
    try:
        gpus = tuple(int(g) for g in text.split(",") if g.strip())
    except ValueError:
        raise ConfigError(f"--gpus {text!r}: expected GPU ids like 0,1,2,3") from None
    if len(set(gpus)) != len(gpus) or any(g < 0 for g in gpus):
        raise ConfigError(f"--gpus {text}: ids must be distinct and >= 0")
    return gpus


def run(args) -> int:
    from pathlib import Path

    from ..errors import ConfigError
    from ..experiment.report import readings
    from ..experiment.run import report_only, run_experiment

    if not 1 <= args.per_gpu <= 64:
        raise ConfigError(f"--per-gpu {args.per_gpu}: must be within [1, 64]")
    gpus = parse_gpus(args.gpus)
    if args.report_only:
        metrics = report_only(args.config, args.out, quick=args.quick)
    else:
        scheduler = None
        if args.engine == "dask" or args.scheduler:
            from ..scale.experiment import EngineScheduler
            from ..scale.slots import make_slots

            scheduler = EngineScheduler(slots=make_slots([str(g) for g in gpus], args.per_gpu),
                                        address=args.scheduler)
        metrics = run_experiment(args.config, args.out, quick=args.quick, gpus=gpus, per_gpu=args.per_gpu,
                                 device=args.device, data_root=args.data_root, scheduler=scheduler,
                                 force=args.force)
    print("\n".join(line[2:].replace("**", "") for line in readings(metrics)))
    out = Path(args.out)
    print(f"report:  {out / 'report.md'}\nmetrics: {out / 'metrics.json'}\nplot:    {out / 'arms.png'}")
    return 0
