"""The export preview: corrected or least-privilege YAML, the flow diff, a download.

Two modes, both from :mod:`ztlab.synth`: *fix findings* patches the existing
policies as little as possible; *least privilege* generates policies for the
flows allowed now, minus the ones you remove, and proves them by re-analysis.
Nothing is written to disk: the download link carries the YAML itself.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w

from ztlab.errors import ZtlabError
from ztlab.model import Cluster
from ztlab.widgets.common import Panel, badge, esc, table

__all__ = ["ExportPreview", "Preview", "preview"]

FIX = "fix findings"
LEAST = "least privilege"
ALL_FILES = "(all files)"


@dataclass
class Preview:
    """What an export would write: files, flow diff rows, and its status lines.

    A status line reads ``<what> <rule>: <message>`` for the fix mode
    (``fixed NP007: ...``) and ``proof: <status>`` first for least privilege.
    """

    files: dict[str, str]
    diff: list[dict[str, Any]]
    ok: bool
    status: list[str] = field(default_factory=list)

    def text(self, name: str = ALL_FILES) -> str:
        """One file, or every file but the kustomization as one YAML stream."""
        from ztlab.synth.writer import KUSTOMIZATION

        if name != ALL_FILES:
            return self.files[name]
        parts = [t for n, t in self.files.items() if n != KUSTOMIZATION]
        return "---\n".join(parts)


def preview(cluster: Cluster, mode: str = FIX, remove: tuple[str, ...] = ()) -> Preview:
    """Run the export in memory.

    >>> import ztlab
    >>> p = preview(ztlab.load("sample_clusters/online-boutique"), LEAST,
    ...             ("*->boutique/adservice",))
    >>> p.ok, any(r["dst"] == "boutique/adservice" and r["change"] == "removed"
    ...           for r in p.diff)
    (True, True)
    """
    from ztlab import synth
    from ztlab.synth import writer
    from ztlab.synth.diff import flow_diff
    from ztlab.synth.fixes import all_findings

    if mode == FIX:
        fixed = synth.fix_findings(cluster, all_findings(cluster))
        after = fixed.apply(cluster)
        remaining = {(f.rule, f.message) for f in all_findings(after)}
        still = [f for f in fixed.fixed if (f.rule, f.message) in remaining]
        status = [f"fixed {f.rule}: {f.message}" for f in fixed.fixed]
        status += [f"no automatic fix {f.rule}: {f.message}" for f in fixed.unfixed]
        status += [f"still there after the fix {f.rule}: {f.message}" for f in still]
        return Preview(
            writer.render(fixed.objects),
            flow_diff(cluster, after),
            not still,
            status,
        )
    result = synth.export(cluster, synth.from_current(cluster, remove=list(remove)))
    status = [f"proof: {result.proof.status}"]
    status += [f"obsolete (delete after applying): {o}" for o in result.obsolete]
    status += [f"schema: {p}" for p in result.problems]
    status += [f"finding: {f}" for f in result.findings]
    return Preview(
        writer.render(result.objects),
        result.diff,
        result.proof.ok and not result.problems,
        status,
    )


def _download(name: str, text: str) -> str:
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a class="ztlab-download" download="{esc(name)}" '
        f'href="data:application/yaml;base64,{data}">download {esc(name)}</a>'
    )


class ExportPreview(Panel):
    """Mode, flows to remove and a generate button; YAML, diff and a download link.

    >>> import ztlab
    >>> panel = ExportPreview(ztlab.load("sample_clusters/online-boutique"))
    >>> panel.generate()
    >>> panel.preview.ok, "kind: NetworkPolicy" in panel.yaml.value
    (True, True)
    """

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.preview: Preview | None = None
        self.error: str | None = None
        self.mode = w.ToggleButtons(options=[FIX, LEAST], value=FIX)
        self.remove = w.Text(
            description="remove",
            placeholder="SRC->DST[:PORT], comma-separated; * for any",
            layout=w.Layout(width="70%"),
        )
        self.button = w.Button(description="generate", button_style="primary")
        self.button.on_click(self.on_generate)
        self.file = w.Dropdown(description="file", options=[ALL_FILES])
        self.file.observe(self.on_file, names="value")
        self.status = w.HTML().add_class("ztlab-export-status")
        self.yaml = w.HTML()
        self.link = w.HTML()
        self.diff = w.HTML()
        self.widget = w.VBox(
            [
                self.mode,
                self.remove,
                self.button,
                self.status,
                w.HBox([self.file, self.link]),
                self.yaml,
                w.HTML("<b>Flow diff</b> (removed and added ports)"),
                self.diff,
            ]
        )

    def on_generate(self, _button: Any = None) -> None:
        self.generate()

    def on_file(self, change: dict[str, Any]) -> None:
        self._show_file()

    def generate(self) -> None:
        """Run the export for the current controls and show the result."""
        remove = tuple(r.strip() for r in self.remove.value.split(",") if r.strip())
        try:
            self.preview = preview(self.cluster, self.mode.value, remove)
            self.error = None
        except ZtlabError as exc:
            self.preview, self.error = None, str(exc)
            self.status.value = badge("error", str(exc))
            return
        p = self.preview
        changed = [r for r in p.diff if r["change"] != "unchanged"]
        self.status.value = (
            badge("allowed" if p.ok else "error", "proven" if p.ok else "check below")
            + "<ul>"
            + "".join(f"<li>{esc(s)}</li>" for s in p.status)
            + "</ul>"
        )
        self.diff.value = (
            table(
                ["change", "source", "destination", "protocol", "ports"],
                [
                    (r["change"], r["src"], r["dst"], r["protocol"], r["ports"])
                    for r in changed
                ],
            )
            if changed
            else esc("no flow changes")
        )
        self.file.options = [ALL_FILES, *p.files]
        self.file.value = ALL_FILES
        self._show_file()

    def _show_file(self) -> None:
        if self.preview is None:
            return
        name = self.file.value
        text = self.preview.text(name)
        download = "ztlab-export.yaml" if name == ALL_FILES else name
        self.yaml.value = (
            '<pre style="max-height:400px;overflow:auto">' + esc(text) + "</pre>"
        )
        self.link.value = _download(download, text)
