"""The `iwr` command line. Command modules import heavy libraries inside their functions,
so `iwr --help` stays fast."""

from __future__ import annotations

import importlib

import typer

from .logging_setup import configure_logging

app = typer.Typer(
    name="iwr",
    help="Interactive web page reconstruction from video: record tasks, run agents, judge pages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module defines `register(app)`; listed here in the order shown by --help.
COMMAND_MODULES: list[str] = ["record", "tasks", "report", "compare", "export", "eval", "agents", "run", "perceive"]


@app.callback()
def _root(
    log_json: bool = typer.Option(False, "--log-json", help="Log JSON lines to stderr (default when stderr is not a TTY)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
) -> None:
    configure_logging(json_logs=True if log_json else None, level="DEBUG" if verbose else "INFO")


for _name in COMMAND_MODULES:
    importlib.import_module(f"iwr.commands.{_name}").register(app)


def main() -> None:
    """Entry point of the `iwr` script."""
    app()


if __name__ == "__main__":
    main()
