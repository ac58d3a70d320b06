"""The typer application every command registers on, and the options it shares (``--verbose``)."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Transfer learning workbench for text classification: which transfer approach helps your "
                       "data, at your label budget, at what cost.")


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also show the frameworks' own logs and "
                                                                        "warnings (TensorFlow, CUDA probes, hubs).")]
         = False) -> None:
    """Transfer learning workbench for text classification."""
    from tlbench.framework_logs import quiet_frameworks, set_verbose

    set_verbose(verbose)
    quiet_frameworks()


@app.command("list")
def list_components(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False):
    """List corpora, embeddings, encoders, systems and strategies with their plugin, version and status."""
    from tlbench import listing
    from tlbench.plugins import default_plugins

    plugins = default_plugins()
    print(listing.render_json(plugins) if as_json else listing.render_text(plugins))
