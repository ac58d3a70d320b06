"""The ``tlbench`` console script. ``tlbench list`` is answered here without importing typer or rich, so it
starts in about the time of ``import pluggy``; every other command goes to :mod:`tlbench.cli`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["list"] and set(args[1:]) <= {"--json"}:
        from tlbench import listing
        from tlbench.plugins import default_plugins

        plugins = default_plugins()
        sys.stdout.write((listing.render_json(plugins) if "--json" in args else listing.render_text(plugins)) + "\n")
        return
    from tlbench.cli import run

    run(args)


if __name__ == "__main__":
    main()
