"""What a job returns in a notebook: the summary as a dict (so `x = _` and `x["added"]` work),
shown as one line rather than a screenful of keys."""

from __future__ import annotations

from typing import Any, Callable


def _ingest(s: dict[str, Any]) -> str:
    return (
        f"ingested {s['dataset']}: {s['samples']:,} samples ({s['images']:,} images, {s['videos']:,} videos); "
        f"{s['added']:,} added, {s['updated']:,} updated, {s['removed']:,} removed, "
        f"{s['corrupt']:,} corrupt, in {s['seconds']:.1f} s"
    )


def _embed(s: dict[str, Any]) -> str:
    if "shards" in s:
        return _embed_on_ray(s)
    line = (
        f"embedded {s['embedded']:,} samples of {s['dataset']} with {s['model']} on {s['device']} "
        f"in {s['seconds']:.1f} s ({s['skipped']:,} had an embedding already)"
    )
    return f"{line}\n{s['fallback']}" if s.get("fallback") else line


def _embed_on_ray(s: dict[str, Any]) -> str:
    shards = s["shards"]
    line = (
        f"embedded {s['embedded']:,} images of {s['dataset']} with {s['model']} on Ray: "
        f"{shards['merged']:,} of {shards['total']:,} shards merged, on {len(s['nodes'])} nodes, "
        f"in {s['seconds']:.1f} s ({s['skipped']:,} had an embedding already)"
    )
    notes = [f"shard {f['shard']} failed: {f['error']}" for f in shards["failed"]]
    if s["pending"]:
        notes.append(f"{s['pending']:,} images still pending: run it again")
    return "\n".join([line, *notes])


def _analyze(s: dict[str, Any]) -> str:
    parts = []
    if s.get("typicality"):
        parts.append(
            f"typicality as metadata '{s['typicality']['key']}' (mean {s['typicality']['mean']:.3f})"
        )
    if s.get("projection"):
        parts.append(f"2-D projection '{s['projection']['name']}' of {s['projection']['points']:,} points")
    if s.get("duplicates"):
        found = s["duplicates"]
        parts.append(
            f"{found['groups']:,} near-duplicate groups ({found['samples']:,} samples) within {found['threshold']}"
        )
    return f"analyzed {s['dataset']}: " + "; ".join(parts)


def _import(s: dict[str, Any]) -> str:
    target = f" as {s['target']} of task {s['task']}" if s.get("target") else ""
    line = f"imported {s['records']:,} {s['kind']} records for {s['samples']:,} samples of {s['dataset']}{target}"
    if s.get("unmatched_count"):
        # No examples when nothing matched: the server lists none then (the input is likely not this dataset's).
        examples = f", e.g. {', '.join(s['unmatched'][:3])}" if s.get("unmatched") else ""
        line += f"; {s['unmatched_count']:,} name no sample of the dataset{examples}"
    return line


_LINES: dict[str, Callable[[dict[str, Any]], str]] = {
    "ingest": _ingest,
    "embed": _embed,
    "analyze": _analyze,
    "import": _import,
}


class Summary(dict):  # type: ignore[type-arg]
    """A job's summary: a dict, shown as one line (the full dict with `dict(summary)`)."""

    def __init__(self, kind: str, summary: dict[str, Any]) -> None:
        super().__init__(summary)
        self.kind = kind

    def line(self) -> str:
        try:
            return _LINES[self.kind](self)
        except (KeyError, TypeError, ValueError):
            return dict.__repr__(self)  # a summary of another shape: every key, as it came

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.line())
