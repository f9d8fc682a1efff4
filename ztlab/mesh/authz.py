"""AuthorizationPolicy: which policies apply to a workload and what they decide.

Applicability (IST-AP): a policy in the workload's namespace without selector or
with a selector matching the pod labels, or a policy in the root namespace
(without selector: every workload of the mesh; with one: matching workloads of
every namespace). Policies with ``targetRef``/``targetRefs`` bind to gateways
and waypoints and are ignored by sidecars.

Evaluation (IST-SEC): CUSTOM first, then DENY (any match denies), then ALLOW
(with no ALLOW policy the request is allowed, otherwise some ALLOW rule must
match). AUDIT never decides. Rules are ORed; ``from``, ``to`` and ``when`` of one
rule are ANDed; entries of ``from`` or ``to`` are ORed; fields of one entry, and a
field with its ``not`` variant, are ANDed; values of a field are ORed. Strings
match exactly, by prefix (``abc*``), by suffix (``*abc``) or by presence (``*``,
any non-empty value). A plaintext caller has no principal and no namespace, so
positive matches on them fail and ``not`` matches succeed. Ports are container
ports. On TCP traffic an ALLOW rule using an HTTP-only field is dropped whole,
while in a DENY (or AUDIT, CUSTOM) rule only that field is dropped, which
widens the rule.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ztlab.mesh.rules import http_only_fields, identity_fields, strip_http
from ztlab.model import Cluster, IstioResource, Workload

__all__ = [
    "RequestContext",
    "AuthzResult",
    "applicable_policies",
    "action_of",
    "authorize",
    "http_only_fields",
    "identity_fields",
    "match_string",
    "rule_matches",
]

ACTIONS = ("ALLOW", "DENY", "AUDIT", "CUSTOM")
_BRACKETS = re.compile(r"\[([^\]]*)\]")


@dataclass(frozen=True)
class RequestContext:
    """What a server-side proxy knows of one request.

    ``principal`` and ``namespace`` are set only when the caller presented an
    Istio mTLS identity. A None IP means unknown; a None method, path or host on
    HTTP traffic means the caller did not say.
    """

    principal: str | None = None
    namespace: str | None = None
    source_ip: str | None = None
    remote_ip: str | None = None
    destination_ip: str | None = None
    port: int | None = None
    http: bool = True
    method: str | None = None
    path: str | None = None
    host: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    request_principal: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuthzResult:
    """``decision`` is ``allow`` or ``deny``; ``policies`` the ids that decided."""

    decision: str
    policies: tuple[str, ...]
    reason: str
    notes: tuple[str, ...] = ()
    definite: bool = True


def action_of(policy: IstioResource) -> str:
    return str(policy.spec.get("action") or "ALLOW").upper()


def _selected(policy: IstioResource, workload: Workload, root: str) -> bool:
    if policy.namespace not in (workload.namespace, root):
        return False
    if not policy.selector:
        return True
    return all(workload.labels.get(k) == v for k, v in policy.selector.items())


def applicable_policies(cluster: Cluster, workload: Workload) -> list[IstioResource]:
    """The AuthorizationPolicies a workload's sidecar enforces.

    >>> from ztlab.model import Cluster, IstioResource, Workload
    >>> deny_all = IstioResource("AuthorizationPolicy", "security.istio.io/v1",
    ...                          "istio-system", "deny-all", {})
    >>> w = Workload("Deployment", "shop", "web")
    >>> [p.name for p in applicable_policies(Cluster(istio=(deny_all,)), w)]
    ['deny-all']
    """
    return [
        p
        for p in cluster.istio_of_kind("AuthorizationPolicy")
        if not p.spec.get("targetRef")
        and not p.spec.get("targetRefs")
        and _selected(p, workload, cluster.root_namespace)
    ]


# String and value matching


def match_string(pattern: str, value: str | None, ignore_case: bool = False) -> bool:
    """Istio string matching: exact, ``prefix*``, ``*suffix`` or ``*`` (presence).

    >>> match_string("/api/*", "/api/v1"), match_string("*.shop.io", "a.shop.io")
    (True, True)
    >>> match_string("*", ""), match_string("*", None), match_string("GET", "GET")
    (False, False, True)
    """
    if value is None:
        return False
    pattern = str(pattern)
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    if pattern == "*":
        return value != ""
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return value == pattern


def _match_ip(pattern: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(
            str(pattern), strict=False
        )
    except ValueError:
        return False


class _Eval:
    """Evaluates rules against a context, noting unknown attributes it consults."""

    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.unknown: set[str] = set()

    def _values(self, name: str) -> list[str] | None:
        """The attribute's values; [] when absent; None when unknown."""
        ctx = self.ctx
        single: dict[str, str | None] = {
            "principals": ctx.principal,
            "namespaces": ctx.namespace,
            "requestPrincipals": ctx.request_principal,
            "methods": ctx.method,
            "paths": ctx.path,
            "hosts": ctx.host,
        }
        if name in single:
            value = single[name]
            if value is None and name in ("methods", "paths", "hosts"):
                self.unknown.add(f"request {name[:-1]}")
                return None
            return [] if value is None else [value]
        if name in ("ipBlocks", "remoteIpBlocks"):
            ip = (
                ctx.source_ip
                if name == "ipBlocks"
                else (ctx.remote_ip or ctx.source_ip)
            )
            if ip is None:
                self.unknown.add("source IP")
                return None
            return [ip]
        if name == "ports":
            if ctx.port is None:
                self.unknown.add("destination port")
                return None
            return [str(ctx.port)]
        raise KeyError(name)

    def _field(self, name: str, patterns: Any) -> bool:
        try:
            values = self._values(name)
        except KeyError:
            self.unknown.add(f"field {name}")
            return False
        if values is None:
            return False
        for pattern in patterns or ():
            for value in values:
                if name in ("ipBlocks", "remoteIpBlocks"):
                    if _match_ip(pattern, value):
                        return True
                elif name == "ports":
                    if str(pattern) == value:
                        return True
                elif name == "hosts":
                    bare = value.rsplit(":", 1)[0] if ":" in value else value
                    if match_string(pattern, value, True) or match_string(
                        pattern, bare, True
                    ):
                        return True
                elif match_string(pattern, value):
                    return True
        return False

    def _entry(self, entry: Mapping[str, Any]) -> bool:
        for key, patterns in entry.items():
            if key.startswith("not"):
                positive = key[3].lower() + key[4:]
                if self._field(positive, patterns):
                    return False
            elif not self._field(key, patterns):
                return False
        return True

    def _condition(self, cond: Mapping[str, Any]) -> bool:
        values = self._condition_values(str(cond.get("key", "")))
        if values is None:
            return False

        def hit(pattern: str, value: str, key: str) -> bool:
            if key in ("source.ip", "remote.ip", "destination.ip"):
                return _match_ip(pattern, value)
            return match_string(pattern, value)

        key = str(cond.get("key", ""))
        wanted = cond.get("values")
        if wanted and not any(hit(p, v, key) for p in wanted for v in values):
            return False
        unwanted = cond.get("notValues")
        return not (unwanted and any(hit(p, v, key) for p in unwanted for v in values))

    def _condition_values(self, key: str) -> list[str] | None:
        ctx = self.ctx
        if key.startswith("request.headers["):
            name = key[len("request.headers[") : -1].lower()
            value = {k.lower(): v for k, v in ctx.headers.items()}.get(name)
            return [] if value is None else [str(value)]
        if key.startswith("request.auth.claims["):
            node: Any = ctx.claims
            for part in _BRACKETS.findall(key[len("request.auth.claims") :]):
                node = node.get(part) if isinstance(node, Mapping) else None
            if node is None:
                return []
            return [str(v) for v in node] if isinstance(node, list) else [str(node)]
        simple: dict[str, Any] = {
            "source.principal": ctx.principal,
            "source.namespace": ctx.namespace,
            "request.auth.principal": ctx.request_principal,
            "request.auth.presenter": ctx.claims.get("azp"),
        }
        if key in simple:
            return [] if simple[key] is None else [str(simple[key])]
        if key == "request.auth.audiences":
            aud = ctx.claims.get("aud")
            if aud is None:
                return []
            return [str(a) for a in aud] if isinstance(aud, list) else [str(aud)]
        ips = {
            "source.ip": ctx.source_ip,
            "remote.ip": ctx.remote_ip or ctx.source_ip,
            "destination.ip": ctx.destination_ip,
        }
        if key in ips:
            if ips[key] is None:
                self.unknown.add(key)
                return None
            return [str(ips[key])]
        if key == "destination.port":
            return None if ctx.port is None else [str(ctx.port)]
        self.unknown.add(key)
        return None

    def rule(self, rule: Mapping[str, Any]) -> bool:
        sources = [
            e.get("source") or {}
            for e in rule.get("from") or ()
            if isinstance(e, Mapping)
        ]
        if sources and not any(self._entry(s) for s in sources):
            return False
        operations = [
            e.get("operation") or {}
            for e in rule.get("to") or ()
            if isinstance(e, Mapping)
        ]
        if operations and not any(self._entry(o) for o in operations):
            return False
        return all(
            self._condition(c) for c in rule.get("when") or () if isinstance(c, Mapping)
        )


def _policy_matches(policy: IstioResource, ev: _Eval, notes: list[str]) -> int | None:
    """Index of the first matching rule of a policy, or None."""
    action = action_of(policy)
    for i, rule in enumerate(policy.spec.get("rules") or ()):
        if not isinstance(rule, Mapping):
            continue
        if not ev.ctx.http:
            fields = http_only_fields(rule)
            if fields and action == "ALLOW":
                notes.append(
                    f"{policy.id} rules[{i}] is dropped on TCP traffic: it uses the "
                    f"HTTP-only field(s) {', '.join(fields)}"
                )
                continue
            if fields:
                notes.append(
                    f"{policy.id} rules[{i}] ({action}) is widened on TCP traffic: "
                    f"{', '.join(fields)} ignored"
                )
                rule = strip_http(rule)
        if ev.rule(rule):
            return i
    return None


def rule_matches(
    rule: Mapping[str, Any], action: str, ctx: RequestContext
) -> tuple[bool, tuple[str, ...]]:
    """Whether a rule of an ``action`` policy matches; and the unknowns consulted.

    On TCP traffic an ALLOW rule with HTTP-only fields never matches and other
    actions ignore those fields, as in :func:`authorize`.

    >>> rule = {"from": [{"source": {"notNamespaces": ["foo"]}}]}
    >>> rule_matches(rule, "ALLOW", RequestContext(port=8080, http=False))
    (True, ())
    """
    if not ctx.http and http_only_fields(rule):
        if action == "ALLOW":
            return False, ()
        rule = strip_http(rule)
    ev = _Eval(ctx)
    return ev.rule(rule), tuple(sorted(ev.unknown))


def authorize(policies: list[IstioResource], ctx: RequestContext) -> AuthzResult:
    """Evaluate the applicable policies for one request.

    >>> from ztlab.model import IstioResource
    >>> allow_nothing = IstioResource("AuthorizationPolicy", "security.istio.io/v1",
    ...                               "shop", "allow-nothing", {})
    >>> authorize([allow_nothing], RequestContext()).decision
    'deny'

    Limitations: CUSTOM policies call an external authorizer that ztlab cannot
    run: a matching CUSTOM policy makes the answer not definite (ztlab assumes the
    authorizer allows). Path templates (``{*}``, ``{**}``) and path normalisation
    are not simulated; ``connection.sni`` and unknown condition keys make the
    answer not definite.
    """
    ev = _Eval(ctx)
    notes: list[str] = []
    definite = True
    by_action: dict[str, list[IstioResource]] = {a: [] for a in ACTIONS}
    for policy in policies:
        by_action.setdefault(action_of(policy), []).append(policy)

    for policy in by_action["CUSTOM"]:
        if _policy_matches(policy, ev, notes) is not None:
            definite = False
            notes.append(
                f"{policy.id} (CUSTOM) sends the request to an external authorizer; "
                "ztlab assumes it allows"
            )
    for policy in by_action["AUDIT"]:
        if _policy_matches(policy, ev, notes) is not None:
            notes.append(
                f"{policy.id} (AUDIT) marks the request for audit; AUDIT never decides"
            )

    denied = []
    for policy in by_action["DENY"]:
        index = _policy_matches(policy, ev, notes)
        if index is not None:
            denied.append((policy, index))
    unknown_note = (f"unknown: {', '.join(sorted(ev.unknown))}",) if ev.unknown else ()
    if denied:
        policy, index = denied[0]
        return AuthzResult(
            "deny",
            tuple(p.id for p, _ in denied),
            f"DENY policy {policy.id} rules[{index}] matches",
            tuple(notes) + unknown_note,
            definite and not ev.unknown,
        )

    allows = by_action["ALLOW"]
    if not allows:
        return AuthzResult(
            "allow",
            (),
            "no ALLOW policy applies and no DENY policy matches",
            tuple(notes) + unknown_note,
            definite and not ev.unknown,
        )
    matched = []
    for policy in allows:
        index = _policy_matches(policy, ev, notes)
        if index is not None:
            matched.append((policy, index))
    unknown_note = (f"unknown: {', '.join(sorted(ev.unknown))}",) if ev.unknown else ()
    if matched:
        policy, index = matched[0]
        return AuthzResult(
            "allow",
            tuple(p.id for p, _ in matched),
            f"ALLOW policy {policy.id} rules[{index}] matches",
            tuple(notes) + unknown_note,
            definite and not ev.unknown,
        )
    return AuthzResult(
        "deny",
        tuple(p.id for p in allows),
        "ALLOW policies apply but no rule of theirs matches",
        tuple(notes) + unknown_note,
        definite and not ev.unknown,
    )
