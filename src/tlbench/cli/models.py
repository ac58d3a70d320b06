"""``tlbench train`` and ``tlbench predict``: save one cell's model, and label new text with it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from tlbench.cli.app import app
from tlbench.cli.progress import _Progress
from tlbench.cli.spec import _Study, build_spec
from tlbench.cli_outcome import console as _console, fail as _fail
from tlbench.errors import TlbenchError


@app.command()
def train(
    system: Annotated[str, typer.Argument(help="The system to train (a preset such as tfidf-lr, or "
                                               "EMBEDDING+ENCODER).")],
    out: Annotated[Path, typer.Option(help="Directory to save the model and its model.json card in.")],
    target: Annotated[Optional[str], typer.Option(help="Target corpus with your labels (name or path).")] = None,
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="One strategy.")] = "target-only",
    source: Annotated[Optional[str], typer.Option(help="Source corpus (name or path).")] = None,
    fraction: Annotated[float, typer.Option(help="Fraction of the target's training labels to use.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed (picks the sample and initialisation, as in a study).")] = 0,
    device: _Study.device = None,
    config: _Study.config = None,
    data_dir: _Study.data_dir = None,
    cache_dir: _Study.cache_dir = None,
    option: _Study.option = None,
    max_train: _Study.max_train = None,
    max_source: _Study.max_source = None,
    allow_download: _Study.allow_download = None,
):
    """Train one study cell's model (system, strategy, fraction, seed) on your labels and save it to --out."""
    from tlbench.training import check_out_dir, train_model

    console = _console()
    try:
        check_out_dir(out)
        spec, _, _ = build_spec([system], config_path=config, source=source, target=target, strategies=[strategy],
                                fractions=[fraction], seeds=[seed], device=device, out=None, data_dir=data_dir,
                                cache_dir=str(cache_dir) if cache_dir else None, option=option,
                                max_train=max_train, max_test=None, max_source=max_source, executor=None,
                                address=None, retries=None, allow_download=allow_download)
        with _Progress(console, quiet=False) as progress:
            card = train_model(spec, out, listener=progress).card
    except TlbenchError as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(f"bad value: {exc}")
    sample, valid = card["sample"], card["validation"]
    shown = (f"validation accuracy {100 * valid['accuracy']:.2f}% on {sample['n_valid']} texts" if valid
             else "no validation part")
    console.print(f"[green]✓[/] saved {system} ({strategy}, {100 * fraction:g}% of the labels, seed {seed}, "
                  f"{sample['n_train']} training texts) to {out}: {shown}", soft_wrap=True)
    if card.get("learned") is False:
        console.print("[yellow]⚠ did not learn:[/] no better than the majority class on its validation part; "
                      "more labels, another strategy or another system will serve you better", soft_wrap=True)
    console.print(f"next: tlbench predict {out} YOUR_TEXTS.csv --out predictions.csv", soft_wrap=True)


@app.command()
def predict(
    model: Annotated[Path, typer.Argument(help="A model directory written by `tlbench train`.")],
    input: Annotated[Path, typer.Argument(help="csv/tsv/jsonl with a text column, or plain text (one document "
                                               "per line).")],
    out: Annotated[Optional[Path], typer.Option(help="Write .csv or .jsonl here (default: CSV on stdout).")] = None,
    batch_size: Annotated[int, typer.Option(help="Documents read and predicted at a time.")] = 1000,
    text_column: Annotated[Optional[str], typer.Option(help="The input's text column (default: text, review, "
                                                            "sentence, content, document or body).")] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda[:N] | mps")] = "auto",
):
    """Label new text with a saved model: id, predicted label and one probability per label."""
    from tlbench import prediction
    from tlbench.saved_model import load_model

    try:
        fmt = prediction.output_format(out)
        batches = prediction.open_input(input, batch_size, text_column)
        loaded = load_model(model, device=device)
        _predict_to(loaded, batches, out, fmt)
    except TlbenchError as exc:
        _fail(str(exc))


def _predict_to(loaded, batches, out: Optional[Path], fmt: str) -> None:
    from contextlib import nullcontext

    from tlbench import prediction

    bar, advance = _progress_bar()  # rich only on a terminal: a pipe or a log gets no bar and skips the import
    try:
        target = out.open("w", encoding="utf-8", newline="") if out else nullcontext(sys.stdout)
    except OSError as exc:
        raise TlbenchError(f"cannot write --out {out}: {exc.strerror or exc}; check that its folder exists") from None
    with target as stream, bar:
        writer = prediction.PredictionWriter(stream, fmt, loaded.label_names)
        done = prediction.predict_stream(loaded, batches, writer, advance)
    if out is not None:
        print(f"labelled {done:,} documents → {out}", file=sys.stderr)


def _progress_bar():
    """A transient progress bar on stderr and its ``advance(n)``, or a no-op pair when stderr is not a terminal."""
    from contextlib import nullcontext

    if not sys.stderr.isatty():
        return nullcontext(), None
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(SpinnerColumn(), TextColumn("{task.completed:,} documents"), TimeElapsedColumn(),
                   console=_console(stderr=True), transient=True)
    task = bar.add_task("predict", total=None)
    return bar, lambda n: bar.advance(task, n)
