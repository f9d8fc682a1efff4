"""RequestAuthentication: JWT validation simulated from the request's claims.

A request carries either decoded claims (``iss``, ``sub``, ``aud`` ...), a token
marked invalid, or no token. For the RequestAuthentications that apply to the
destination (root namespace without selector, its namespace without selector,
its namespace with a matching selector; their jwtRules are combined):

- an invalid token is rejected (HTTP 401);
- claims whose ``iss`` no jwtRule names, or whose ``aud`` misses the rule's
  ``audiences``, are an invalid token for Istio and rejected too;
- no token: allowed, without request principal;
- a valid token gives the request principal ``<iss>/<sub>``.

With no applicable RequestAuthentication a token is not validated and gives no
request principal. On TCP traffic there is no request to authenticate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ztlab.model import Cluster, IstioResource, Workload

__all__ = ["Authn", "applicable_request_authns", "authenticate"]


@dataclass(frozen=True, slots=True)
class Authn:
    """``status``: ``valid``, ``missing``, ``invalid`` or ``unchecked``."""

    status: str
    reason: str
    principal: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)
    policies: tuple[IstioResource, ...] = ()

    @property
    def rejected(self) -> bool:
        return self.status == "invalid"


def _selects(policy: IstioResource, workload: Workload, root: str) -> bool:
    if not policy.selector:
        return policy.namespace in (workload.namespace, root)
    return policy.namespace == workload.namespace and all(
        workload.labels.get(k) == v for k, v in policy.selector.items()
    )


def applicable_request_authns(
    cluster: Cluster, workload: Workload
) -> list[IstioResource]:
    """RequestAuthentications that apply to a workload's sidecar."""
    return [
        p
        for p in cluster.istio_of_kind("RequestAuthentication")
        if not p.spec.get("targetRef")
        and not p.spec.get("targetRefs")
        and _selects(p, workload, cluster.root_namespace)
    ]


def _audiences(claims: Mapping[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if aud is None:
        return []
    if isinstance(aud, (list, tuple)):
        return [str(a) for a in aud]
    return [str(aud)]


def authenticate(
    policies: list[IstioResource],
    claims: Mapping[str, Any] | None,
    invalid: bool,
) -> Authn:
    """Validate a request's token against the applicable policies.

    >>> from ztlab.model import IstioResource
    >>> ra = IstioResource("RequestAuthentication", "security.istio.io/v1", "shop",
    ...                    "jwt", {"jwtRules": [{"issuer": "https://idp"}]})
    >>> authenticate([ra], {"iss": "https://idp", "sub": "alice"}, False).principal
    'https://idp/alice'
    >>> authenticate([ra], None, True).status
    'invalid'

    Limitations: signatures, expiry and token locations (fromHeaders,
    fromParams) are not simulated: the caller states whether a token is valid.
    """
    rules = [
        (p, r)
        for p in policies
        for r in (p.spec.get("jwtRules") or ())
        if isinstance(r, Mapping)
    ]
    used = tuple({id(p): p for p, _ in rules}.values())
    has_token = invalid or claims is not None
    if not rules:
        if has_token:
            return Authn(
                "unchecked",
                "no RequestAuthentication applies: the token is not validated and "
                "gives no request principal",
            )
        return Authn("missing", "no token")
    if not has_token:
        return Authn(
            "missing", "no token: allowed without request principal", policies=used
        )
    if invalid:
        return Authn(
            "invalid", "the token is invalid: rejected with 401", policies=used
        )

    assert claims is not None
    issuer = claims.get("iss")
    for policy, rule in rules:
        if str(rule.get("issuer")) != str(issuer):
            continue
        wanted = [str(a) for a in rule.get("audiences") or ()]
        if wanted and not set(wanted) & set(_audiences(claims)):
            return Authn(
                "invalid",
                f"token audience {_audiences(claims)} is not among {wanted} of "
                f"{policy.id}: rejected with 401",
                policies=(policy,),
            )
        principal = f"{issuer}/{claims.get('sub', '')}"
        return Authn(
            "valid",
            f"token from {issuer} validated by {policy.id}",
            principal,
            dict(claims),
            (policy,),
        )
    return Authn(
        "invalid",
        f"no jwtRule accepts issuer {issuer!r}: the token is rejected with 401",
        policies=used,
    )
