"""The mesh explorer: mTLS per namespace and per flow, and a request builder."""

from __future__ import annotations

import json
from typing import Any

import ipywidgets as w

from ztlab.errors import ZtlabError
from ztlab.mesh import MeshVerdict, Request, mesh_applies, mesh_of
from ztlab.model import Cluster
from ztlab.widgets.common import Panel, badge, esc, table

__all__ = ["MeshExplorer", "namespace_rows", "flow_rows"]

NO_SOURCE = "(outside the mesh: no proxy)"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def namespace_rows(cluster: Cluster) -> list[tuple[str, str, str, str]]:
    """Per namespace: the PeerAuthentication mode, its scope and policy, and why.

    >>> import ztlab
    >>> rows = namespace_rows(ztlab.load("sample_clusters/bookinfo-mesh"))
    >>> [r[:2] for r in rows if r[0] == "bookinfo"]
    [('bookinfo', 'STRICT')]
    """
    peer = mesh_of(cluster).peer
    out = []
    for ns in sorted(cluster.namespaces):
        mode = peer.namespace_mode(ns)
        out.append((ns, mode.mode, mode.policy_id or "", mode.reason))
    return out


def flow_rows(cluster: Cluster) -> list[tuple[str, str, str, str, str]]:
    """Per allowed workload flow: source, destination, ports, mTLS, authorization."""
    from ztlab.viz import workload_view

    return [
        (e.src, e.dst, e.ports, e.mtls or "", e.authz or "")
        for e in workload_view(cluster, external=False).edges
        if e.mtls is not None
    ]


class MeshExplorer(Panel):
    """Tables of mTLS outcomes and an authorization request builder.

    >>> import ztlab
    >>> ex = MeshExplorer(ztlab.load("sample_clusters/bookinfo-mesh"))
    >>> ex.source.value = "bookinfo/productpage"
    >>> ex.destination.value = "bookinfo/details"
    >>> ex.verdict.mtls, ex.verdict.authz
    ('mutual', 'allow')
    >>> ex.source.value = NO_SOURCE
    >>> ex.verdict.mtls
    'rejected'
    """

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.verdict: MeshVerdict | None = None
        self.error: str | None = None
        self._quiet = False
        keys = sorted(cluster.workloads)
        self.source = w.Dropdown(options=[*keys, NO_SOURCE], description="source")
        self.destination = w.Dropdown(options=keys, description="destination")
        self.port = w.Dropdown(description="port")
        self.method = w.Dropdown(options=METHODS, description="method")
        self.path = w.Text(value="/", description="path")
        self.token = w.Dropdown(
            options=["no token", "valid token", "invalid token"], description="JWT"
        )
        self.claims = w.Textarea(
            value='{"iss": "https://issuer.example", "sub": "alice"}',
            description="claims",
            layout=w.Layout(width="60%"),
        )
        self.result = w.HTML().add_class("ztlab-mesh-verdict")
        self.namespaces = w.HTML(
            table(["namespace", "mTLS mode", "policy", "why"], namespace_rows(cluster))
            if mesh_applies(cluster)
            else esc("this cluster has no mesh")
        )
        self.flows = w.HTML()
        self._ports()
        self.destination.observe(self.on_destination, names="value")
        for control in (
            self.source,
            self.port,
            self.method,
            self.path,
            self.token,
            self.claims,
        ):
            control.observe(self.on_change, names="value")
        self.widget = w.VBox(
            [
                w.HTML("<b>mTLS per namespace</b>"),
                self.namespaces,
                w.HTML("<b>Request builder</b>"),
                w.HBox([self.source, self.destination, self.port]),
                w.HBox([self.method, self.path, self.token]),
                self.claims,
                self.result,
                w.HTML("<b>mTLS and authorization per flow</b>"),
                self.flows,
            ]
        )
        self.update()

    def show_flows(self) -> None:
        """Fill the per-flow table (on demand: it asks the mesh about every flow)."""
        self.flows.value = table(
            ["source", "destination", "ports", "mTLS", "authorization"],
            flow_rows(self.cluster),
        )

    def on_destination(self, change: dict[str, Any]) -> None:
        self._ports()
        self.update()

    def on_change(self, change: dict[str, Any]) -> None:
        if not self._quiet:
            self.update()

    def _ports(self) -> None:
        dst = self.cluster.workloads[self.destination.value]
        options = [str(n) for n in sorted({p.port for p in dst.ports})] or ["none"]
        # Changing the options fires the port handler; one update follows anyway.
        self._quiet = True
        try:
            self.port.options = options
            self.port.value = options[0]
        finally:
            self._quiet = False

    def request(self) -> Request:
        """The request the controls describe; bad claims JSON raises ValueError."""
        claims = None
        if self.token.value != "no token":
            claims = json.loads(self.claims.value or "{}")
            if not isinstance(claims, dict):
                raise ValueError("the claims must be a JSON object")
        return Request(
            method=self.method.value,
            path=self.path.value or "/",
            jwt_claims=claims,
            jwt_invalid=self.token.value == "invalid token",
        )

    def update(self) -> None:
        """Evaluate the request with :meth:`ztlab.mesh.Mesh.evaluate`."""
        try:
            request = self.request()
        except ValueError as exc:
            self.verdict, self.error = None, f"claims: {exc}"
            self.result.value = badge("error", self.error)
            return
        src = None if self.source.value == NO_SOURCE else self.source.value
        port = None if self.port.value == "none" else int(self.port.value)
        try:
            v = mesh_of(self.cluster).evaluate(
                src, self.destination.value, dst_port=port, request=request
            )
        except ZtlabError as exc:
            self.verdict, self.error = None, str(exc)
            self.result.value = badge("error", self.error)
            return
        self.verdict, self.error = v, None
        word = "allowed" if v.allowed else "denied"
        lines = [
            f"mTLS: <b>{esc(v.mtls)}</b>, authorization: <b>{esc(v.authz)}</b>, "
            f"protocol {esc(v.protocol)}" + ("" if v.definite else " (not definite)"),
            esc(v.reason),
        ]
        if v.policies:
            lines.append("decided by " + esc(", ".join(v.policies)))
        lines += [esc(n) for n in v.notes]
        self.result.value = badge(word) + "<br>" + "<br>".join(lines)
