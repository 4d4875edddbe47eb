"""IPython magics over the workspace's local server: `%winnow ingest|embed|analyze|show|selected`
and `%%winnow select|sql`. Each returns a value (a summary, filenames, a table) so `x = _` works;
`show` displays a widget instead."""

from __future__ import annotations

import argparse
import shlex
import sys
import urllib.parse
from typing import TYPE_CHECKING, Any, NoReturn

from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, magics_class

from .client import VIEWS, Dataset, WinnowError, connect
from .contract import add_job_options
from .panel import register as register_panel

if TYPE_CHECKING:
    from .widget import View

CELL_COMMANDS = {"select", "sql"}
# The most samples a live selection holds (core/src/server/selection-routes.ts MAX_SELECTED).
MAX_SELECTED = 1_000_000


class _HelpShown(Exception):
    """`--help` printed its text: the magic ends there, quietly."""


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises WinnowError instead of exiting: a magic must not end the kernel."""

    def error(self, message: str) -> NoReturn:
        raise WinnowError(f"{self.prog}: {message}", "invalid_argument")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _HelpShown()


def build_parser() -> _ArgumentParser:
    """The magics' command line, one subcommand each."""
    parser = _ArgumentParser(
        prog="%winnow", description="Winnow in a notebook (docs: extension-jupyter/README.md)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser("ingest", help="index a folder or bucket into a dataset")
    ingest.add_argument("location", help="a folder, or s3://, obs://, gs://, az:// URL")
    ingest.add_argument("--dataset", required=True)
    ingest.add_argument("--work", help="where the dataset's .winnow/ goes: a folder or bucket")
    ingest.add_argument(
        "--storage",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="how to reach the input (repeatable)",
    )

    # The options of embed, analyze and import are their jobs' fields (contract.json), as
    # `winnow embed|analyze|import` offers them; each subparser keeps their names for _given.
    for kind, help in (
        ("embed", "embed the samples that have no embedding of the model yet"),
        ("analyze", "typicality, a 2-D projection, near-duplicates"),
        ("import", "labels, metadata or embeddings for a dataset (the options of `winnow import`)"),
    ):
        job = commands.add_parser(kind, help=help)
        job.add_argument("--dataset", required=True)
        job.set_defaults(options=add_job_options(job, kind))

    select = commands.add_parser("select", help="(cell) run the YAML selection config of the cell body")
    select.add_argument("--dataset", required=True)
    select.add_argument("--tag", required=True, help="the new tag the picks are stored as")

    sql = commands.add_parser("sql", help="(cell) run the read-only SQL of the cell body")
    sql.add_argument("--dataset", required=True)

    show = commands.add_parser("show", help="show a view of a dataset as a widget")
    show.add_argument("view", choices=VIEWS)
    show.add_argument("--dataset", required=True)
    show.add_argument("--where", help="an SQL condition over the samples view, e.g. 'width >= 640'")

    selected = commands.add_parser(
        "selected",
        help="the filenames of a dataset's live selection: lassoed or picked last in any view, "
        "or a %%%%winnow select cell's picks",
    )
    selected.add_argument("--dataset", help="by default the dataset of this kernel's latest show or select")
    return parser


@magics_class
class WinnowMagics(Magics):
    """`%winnow` and `%%winnow`: each subcommand is a method `_<command>(args, cell)`."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self._parser = build_parser()
        # The dataset `%winnow selected` reads by default: that of the latest show or select cell.
        self._dataset: str | None = None
        self.last_widget: View | None = None

    @line_cell_magic
    def winnow(self, line: str, cell: str | None = None) -> Any:
        try:
            args = self._parser.parse_args(_split(line))
        except _HelpShown:
            return None
        if args.command in CELL_COMMANDS and cell is None:
            raise WinnowError(
                f"{args.command} takes the cell body: use %%winnow {line.strip()}", "invalid_argument"
            )
        if args.command not in CELL_COMMANDS and cell is not None:
            raise WinnowError(
                f"{args.command} is a line magic: use %winnow {line.strip()}", "invalid_argument"
            )
        return getattr(self, f"_{args.command}")(args, cell)

    def _ingest(self, args: argparse.Namespace, cell: None) -> dict[str, Any]:
        return connect().ingest(args.location, args.dataset, work=args.work, storage=args.storage or None)

    def _embed(self, args: argparse.Namespace, cell: None) -> dict[str, Any]:
        return connect().embed(args.dataset, **_given(args, *args.options))

    def _analyze(self, args: argparse.Namespace, cell: None) -> dict[str, Any]:
        return connect().analyze(args.dataset, **_given(args, *args.options))

    def _import(self, args: argparse.Namespace, cell: None) -> dict[str, Any]:
        return connect().import_labels(args.dataset, **_given(args, *args.options))

    def _select(self, args: argparse.Namespace, cell: str) -> list[str]:
        """Runs the selection, then makes its picks the dataset's live selection (open views show them)."""
        dataset = connect().dataset(args.dataset)
        files = dataset.select(cell, args.tag)
        dataset.set_selection(_tag_ids(dataset, args.tag))
        self._dataset = args.dataset
        return list(files)

    def _show(self, args: argparse.Namespace, cell: None) -> None:
        from IPython.display import display

        widget = connect().dataset(args.dataset).widget(args.view, args.where)
        display(widget)
        self.last_widget = widget
        self._dataset = args.dataset

    def _selected(self, args: argparse.Namespace, cell: None) -> list[str]:
        name = args.dataset or self._dataset
        if name is None:
            raise WinnowError(
                "%winnow selected: name the dataset with --dataset (no %winnow show or select ran yet)",
                "invalid_argument",
            )
        return connect().dataset(name).selected

    def _sql(self, args: argparse.Namespace, cell: str) -> Any:
        result = connect().sql(cell, args.dataset)
        if result.get("truncated"):
            print(f"winnow: only the first {len(result['rows'])} rows", file=sys.stderr)
        return table(result)


def _tag_ids(dataset: Dataset, tag: str) -> list[int]:
    """The ids of a tag's samples (a selection's picks: at most a million, as a live selection)."""
    quoted = tag.replace("'", "''")
    sql = f"SELECT sample_id FROM tag_members WHERE tag = '{quoted}' ORDER BY sample_id"
    path = f"/api/datasets/{urllib.parse.quote(dataset.name, safe='')}/query"
    result = dataset.client.request("POST", path, {"sql": sql, "max_rows": MAX_SELECTED})
    return [row["sample_id"] for row in result["rows"]]


def table(result: dict[str, Any]) -> Any:
    """A query's rows as a pandas DataFrame when pandas is installed, else a list of dicts."""
    try:
        import pandas
    except ImportError:
        return result["rows"]
    return pandas.DataFrame(result["rows"], columns=result["columns"])


def _given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The options the magic's line gave, so the server's defaults apply to the rest."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as error:
        raise WinnowError(f"%winnow: {error}", "invalid_argument") from None


def _show_error(
    shell: InteractiveShell, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None
) -> list[str]:
    """Shows a WinnowError as one line, `WinnowError: message`: the message says all there is,
    a traceback through this package would only bury it. (`_showtraceback` is how IPython, and
    ipykernel's error output, display a structured traceback.)"""
    lines = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, lines)
    return lines


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """`%load_ext winnow`: the magics, one-line errors, JupyterLab's side panel answered through
    this kernel, and the workspace's server started now rather than at the first magic."""
    ipython.register_magics(WinnowMagics)
    ipython.set_custom_exc((WinnowError,), _show_error)
    register_panel()
    connect()
