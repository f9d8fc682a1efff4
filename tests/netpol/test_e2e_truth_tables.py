"""Truth tables of the upstream Kubernetes e2e NetworkPolicy suite.

Each case is named after an ``It(...)`` of kubernetes/kubernetes
test/e2e/network/netpol/network_policy.go (the 9x9 version, where every case
probes all of x/a ... z/c). The policies are our own YAML transliteration of the
Go builders (``SetSpecIngressRules`` adds policyTypes Ingress,
``SetSpecEgressRules`` adds Egress); the expected tables repeat upstream's
``Expect``/``ExpectPeer``/``ExpectAllIngress``/``ExpectAllEgress`` calls in order,
starting from "everything allowed". Cases that update objects are checked in
their final state only; cases with two steps that each hold a stable state check
both states.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

Op = tuple[str, str, str]


def deny(src: str, dst: str) -> Op:
    return ("deny", src, dst)


def allow(src: str, dst: str) -> Op:
    return ("allow", src, dst)


def deny_ingress(pod: str) -> Op:
    """Upstream ``ExpectAllIngress(pod, false)``: every source, self included."""
    return deny("*", pod)


def deny_egress(pod: str) -> Op:
    """Upstream ``ExpectAllEgress(pod, false)``: every destination, self included."""
    return deny(pod, "*")


@dataclass(frozen=True)
class Probe:
    port: int | str | None
    protocol: str
    ops: tuple[Op, ...] = ()


@dataclass(frozen=True)
class Case:
    name: str
    policies: tuple[str, ...]
    probes: tuple[Probe, ...]
    options: dict[str, Any] = field(default_factory=dict)


def policy(namespace: str, name: str, spec: str) -> str:
    """A NetworkPolicy document; ``spec`` is YAML indented by four spaces."""
    return (
        "apiVersion: networking.k8s.io/v1\n"
        "kind: NetworkPolicy\n"
        f"metadata:\n  name: {name}\n  namespace: {namespace}\n"
        f"spec:\n{spec}"
    )


def ns_name(value: str) -> str:
    return f"{{kubernetes.io/metadata.name: {value}}}"


DENY_INGRESS_X = policy(
    "x",
    "deny-ingress",
    """\
    podSelector: {}
    policyTypes: [Ingress]
    ingress: []
""",
)

DENY_ALL_X = policy(
    "x",
    "deny-all",
    """\
    podSelector: {}
    policyTypes: [Ingress, Egress]
    ingress: []
    egress: []
""",
)


def ingress_to_xa(name: str, rules: str) -> str:
    return policy(
        "x",
        name,
        "    podSelector: {matchLabels: {pod: a}}\n"
        "    policyTypes: [Ingress]\n"
        f"    ingress:\n{rules}",
    )


def egress_from(name: str, selector: str, rules: str) -> str:
    return policy(
        "x",
        name,
        f"    podSelector: {selector}\n    policyTypes: [Egress]\n    egress:\n{rules}",
    )


ALLOW_XA_FROM_Y_TCP_81 = ingress_to_xa(
    "allow-client-a-via-ns-selector",
    f"""\
    - from:
      - namespaceSelector: {{matchLabels: {ns_name("y")}}}
      ports:
      - {{port: 81, protocol: TCP}}
""",
)

ALLOW_XA_FROM_Y_TCP_80 = ingress_to_xa(
    "allow-client-a-via-ns-selector-80",
    f"""\
    - from:
      - namespaceSelector: {{matchLabels: {ns_name("y")}}}
      ports:
      - {{port: 80, protocol: TCP}}
""",
)

ALLOW_ALL_INGRESS_X = policy(
    "x",
    "allow-all",
    """\
    podSelector: {}
    policyTypes: [Ingress]
    ingress:
    - {}
""",
)

ALLOW_INGRESS_80_X = policy(
    "x",
    "allow-ingress-port-80",
    """\
    podSelector: {}
    policyTypes: [Ingress]
    ingress:
    - ports:
      - {port: 80}
""",
)

ALLOW_EGRESS_80_X = egress_from(
    "allow-egress-port-80",
    "{}",
    """\
    - ports:
      - {port: 80}
""",
)

ALLOW_ALL_EGRESS_X = egress_from("allow-egress", "{}", "    - {}\n")


def only_from_y_ports(protocol: str) -> str:
    return ingress_to_xa(
        "allow-ingress-on-port-81-ns-x",
        f"""\
    - from:
      - namespaceSelector: {{matchLabels: {ns_name("y")}}}
      ports:
      - {{port: 81, protocol: {protocol}}}
""",
    )


def only_from_ya() -> str:
    return ingress_to_xa(
        "allow-ns-y-pod-a-via-namespace-pod-selector",
        f"""\
    - from:
      - namespaceSelector: {{matchLabels: {ns_name("y")}}}
        podSelector: {{matchLabels: {{pod: a}}}}
""",
    )


FROM_Y_ONLY_INTO_XA = (deny("x", "x/a"), deny("z", "x/a"))

CASES = [
    Case(
        "should support a 'default-deny-ingress' policy",
        (DENY_INGRESS_X,),
        (Probe(80, "TCP", (deny("*", "x"),)),),
    ),
    Case(
        "should support a 'default-deny-all' policy",
        (DENY_ALL_X,),
        (Probe(80, "TCP", (deny("*", "x"), deny("x", "*"))),),
    ),
    Case(
        "should enforce policy to allow traffic from pods within server namespace "
        "based on PodSelector",
        (
            ingress_to_xa(
                "x-a-allows-x-b",
                """\
    - from:
      - podSelector: {matchLabels: {pod: b}}
""",
            ),
        ),
        (Probe(80, "TCP", (deny_ingress("x/a"), allow("x/b", "x/a"))),),
    ),
    Case(
        "should enforce policy to allow ingress traffic for a target",
        (
            DENY_INGRESS_X.replace("deny-ingress", "deny-all"),
            ingress_to_xa(
                "allow-all-to-a",
                """\
    - from:
      - podSelector: {}
        namespaceSelector: {}
""",
            ),
        ),
        (Probe(80, "TCP", (deny_ingress("x/b"), deny_ingress("x/c"))),),
    ),
    Case(
        "should enforce policy to allow ingress traffic from pods in all namespaces",
        (
            ingress_to_xa(
                "allow-from-another-ns",
                """\
    - from:
      - namespaceSelector: {matchLabels: {}}
""",
            ),
        ),
        (Probe(80, "TCP"),),
    ),
    Case(
        "should enforce policy to allow traffic only from a different namespace, "
        "based on NamespaceSelector",
        (
            ingress_to_xa(
                "allow-client-a-via-ns-selector",
                f"""\
    - from:
      - namespaceSelector: {{matchLabels: {ns_name("y")}}}
""",
            ),
        ),
        (Probe(80, "TCP", FROM_Y_ONLY_INTO_XA),),
    ),
    Case(
        "should enforce policy based on PodSelector with MatchExpressions",
        (
            ingress_to_xa(
                "x-a-allows-x-b",
                """\
    - from:
      - podSelector:
          matchExpressions:
          - {key: pod, operator: In, values: [b]}
""",
            ),
        ),
        (Probe(80, "TCP", (deny_ingress("x/a"), allow("x/b", "x/a"))),),
    ),
    Case(
        "should enforce policy based on NamespaceSelector with MatchExpressions",
        (
            ingress_to_xa(
                "allow-ns-y-match-selector",
                """\
    - from:
      - namespaceSelector:
          matchExpressions:
          - {key: kubernetes.io/metadata.name, operator: In, values: [y]}
""",
            ),
        ),
        (Probe(80, "TCP", FROM_Y_ONLY_INTO_XA),),
    ),
    Case(
        "should enforce policy based on PodSelector or NamespaceSelector",
        (
            ingress_to_xa(
                "allow-ns-y-match-selector",
                """\
    - from:
      - namespaceSelector:
          matchExpressions:
          - {key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}
      - podSelector: {matchLabels: {pod: b}}
""",
            ),
        ),
        (Probe(80, "TCP", (deny("x/a", "x/a"), deny("x/c", "x/a"))),),
    ),
    Case(
        "should enforce policy based on PodSelector and NamespaceSelector",
        (
            ingress_to_xa(
                "allow-ns-y-podselector-and-nsselector",
                """\
    - from:
      - namespaceSelector:
          matchExpressions:
          - {key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}
        podSelector: {matchLabels: {pod: b}}
""",
            ),
        ),
        (
            Probe(
                80,
                "TCP",
                (deny_ingress("x/a"), allow("y/b", "x/a"), allow("z/b", "x/a")),
            ),
        ),
    ),
    Case(
        "should enforce policy based on Multiple PodSelectors and NamespaceSelectors",
        (
            ingress_to_xa(
                "allow-ns-y-z-pod-b-c",
                """\
    - from:
      - namespaceSelector:
          matchExpressions:
          - {key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}
        podSelector:
          matchExpressions:
          - {key: pod, operator: In, values: [b, c]}
""",
            ),
        ),
        (
            Probe(
                80,
                "TCP",
                (deny("x", "x/a"), deny("y/a", "x/a"), deny("z/a", "x/a")),
            ),
        ),
    ),
    Case(
        "should enforce policy based on any PodSelectors",
        (
            ingress_to_xa(
                "allow-ns-x-pod-b-c",
                """\
    - from:
      - podSelector: {matchLabels: {pod: b}}
      - podSelector: {matchLabels: {pod: c}}
""",
            ),
        ),
        (
            Probe(
                80,
                "TCP",
                (deny_ingress("x/a"), allow("x/b", "x/a"), allow("x/c", "x/a")),
            ),
        ),
    ),
    Case(
        "should enforce policy to allow traffic only from a pod in a different "
        "namespace based on PodSelector and NamespaceSelector",
        (only_from_ya(),),
        (Probe(80, "TCP", (deny_ingress("x/a"), allow("y/a", "x/a"))),),
    ),
    Case(
        "should enforce policy based on Ports",
        (ALLOW_XA_FROM_Y_TCP_81,),
        (Probe(81, "TCP", (*FROM_Y_ONLY_INTO_XA, allow("y", "x/a"))),),
    ),
    Case(
        "should enforce multiple, stacked policies with overlapping podSelectors "
        "(before the port 80 policy)",
        (ALLOW_XA_FROM_Y_TCP_81,),
        (
            Probe(81, "TCP", FROM_Y_ONLY_INTO_XA),
            Probe(80, "TCP", (deny_ingress("x/a"),)),
        ),
    ),
    Case(
        "should enforce multiple, stacked policies with overlapping podSelectors",
        (ALLOW_XA_FROM_Y_TCP_81, ALLOW_XA_FROM_Y_TCP_80),
        (Probe(81, "TCP", FROM_Y_ONLY_INTO_XA), Probe(80, "TCP", FROM_Y_ONLY_INTO_XA)),
    ),
    Case(
        "should support allow-all policy",
        (ALLOW_ALL_INGRESS_X,),
        (Probe(80, "TCP"), Probe(81, "TCP")),
    ),
    Case(
        "should allow ingress access on one named port",
        (
            policy(
                "x",
                "allow-all",
                """\
    podSelector: {}
    policyTypes: [Ingress]
    ingress:
    - ports:
      - {port: serve-81-tcp}
""",
            ),
        ),
        (Probe(81, "TCP"), Probe(80, "TCP", (deny("*", "x"),))),
    ),
    Case(
        "should allow ingress access from namespace on one named port",
        (
            ingress_to_xa(
                "allow-client-a-via-ns-selector-80",
                f"""\
    - from:
      - namespaceSelector: {{matchLabels: {ns_name("y")}}}
      ports:
      - {{port: serve-80-tcp, protocol: TCP}}
""",
            ),
        ),
        (
            Probe(80, "TCP", FROM_Y_ONLY_INTO_XA),
            Probe(81, "TCP", (deny_ingress("x/a"),)),
        ),
    ),
    Case(
        "should allow egress access on one named port",
        (
            egress_from(
                "allow-egress",
                "{}",
                """\
    - ports:
      - {port: serve-80-tcp}
""",
            ),
        ),
        (Probe(80, "TCP"), Probe(81, "TCP", (deny("x", "*"),))),
    ),
    Case(
        "should enforce updated policy (final state: deny all)",
        (
            policy(
                "x",
                "allow-all-mutate-to-deny-all",
                """\
    podSelector: {}
    policyTypes: [Ingress]
    ingress: []
""",
            ),
        ),
        (Probe(81, "TCP", (deny("*", "x"),)),),
    ),
    Case(
        "should allow ingress access from updated namespace (final state)",
        (
            ingress_to_xa(
                "allow-client-a-via-ns-selector",
                """\
    - from:
      - namespaceSelector: {matchLabels: {ns2: updated}}
""",
            ),
        ),
        (Probe(80, "TCP", (deny_ingress("x/a"), allow("y", "*"))),),
        {"namespace_labels": {"y": {"ns2": "updated"}}},
    ),
    Case(
        "should allow ingress access from updated pod (final state)",
        (
            ingress_to_xa(
                "allow-client-a-via-pod-selector",
                """\
    - from:
      - podSelector: {matchLabels: {pod: b, pod2: updated}}
""",
            ),
        ),
        (Probe(80, "TCP", (deny_ingress("x/a"), allow("x/b", "x/a"))),),
        {"pod_labels": {"x/b": {"pod2": "updated"}}},
    ),
    Case(
        "should deny ingress from pods on other namespaces",
        (
            policy(
                "x",
                "deny-empty-policy",
                """\
    podSelector: {}
    policyTypes: [Ingress]
    ingress:
    - from:
      - podSelector: {matchLabels: {}}
""",
            ),
        ),
        (Probe(80, "TCP", (deny("y", "x"), deny("z", "x"))),),
    ),
    Case(
        "should deny ingress access to updated pod (final state)",
        (
            policy(
                "x",
                "deny-ingress-via-label-selector",
                """\
    podSelector: {matchLabels: {target: isolated}}
    policyTypes: [Ingress]
    ingress: []
""",
            ),
        ),
        (Probe(80, "TCP", (deny_ingress("x/a"),)),),
        {"pod_labels": {"x/a": {"target": "isolated"}}},
    ),
    Case(
        "should deny egress from pods based on PodSelector",
        (egress_from("deny-egress-pod-a", "{matchLabels: {pod: a}}", "      []\n"),),
        (Probe(80, "TCP", (deny_egress("x/a"),)),),
    ),
    Case(
        "should deny egress from all pods in a namespace",
        (egress_from("deny-egress-ns-x", "{}", "      []\n"),),
        (Probe(80, "TCP", (deny("x", "*"),)),),
    ),
    Case(
        "should work with Ingress, Egress specified together",
        (
            policy(
                "x",
                "allow-client-a-via-pod-selector",
                """\
    podSelector: {matchLabels: {pod: a}}
    policyTypes: [Egress, Ingress]
    ingress:
    - from:
      - podSelector: {matchLabels: {pod: b}}
    egress:
    - ports:
      - {port: 80}
""",
            ),
        ),
        (
            Probe(80, "TCP", (deny_ingress("x/a"), allow("x/b", "x/a"))),
            Probe(
                81,
                "TCP",
                (deny_ingress("x/a"), deny_egress("x/a"), allow("x/b", "x/a")),
            ),
        ),
    ),
    Case(
        "should support denying of egress traffic on the client side (even if the "
        "server explicitly allows this traffic)",
        (
            egress_from(
                "allow-to-ns-y-pod-a",
                "{matchLabels: {pod: a}}",
                f"""\
    - to:
      - namespaceSelector: {{matchLabels: {ns_name("y")}}}
        podSelector: {{matchLabels: {{pod: a}}}}
""",
            ),
            *(
                policy(
                    "y",
                    f"allow-from-xa-on-y{target}-match-selector",
                    f"""\
    podSelector: {{matchLabels: {{pod: {target}}}}}
    policyTypes: [Ingress]
    ingress:
    - from:
      - namespaceSelector: {{matchLabels: {ns_name("x")}}}
        podSelector: {{matchLabels: {{pod: a}}}}
""",
                )
                for target in ("a", "b")
            ),
        ),
        (
            Probe(
                80,
                "TCP",
                (
                    deny("x/a", "*"),
                    deny("*", "y/a"),
                    allow("x/a", "y/a"),
                    deny("*", "y/b"),
                ),
            ),
        ),
    ),
    Case(
        "should enforce egress policy allowing traffic to a server in a different "
        "namespace based on PodSelector and NamespaceSelector",
        (
            egress_from(
                "allow-to-ns-y-pod-a",
                "{matchLabels: {pod: a}}",
                f"""\
    - to:
      - namespaceSelector: {{matchLabels: {ns_name("y")}}}
        podSelector: {{matchLabels: {{pod: a}}}}
""",
            ),
        ),
        (Probe(80, "TCP", (deny_egress("x/a"), allow("x/a", "y/a"))),),
    ),
    Case(
        "should enforce ingress policy allowing any port traffic to a server on a "
        "specific protocol",
        (
            ingress_to_xa(
                "allow-ingress-by-proto",
                """\
    - ports:
      - {protocol: TCP}
""",
            ),
        ),
        (Probe(80, "TCP"), Probe(80, "UDP", (deny("*", "x/a"),))),
    ),
    Case(
        "should enforce multiple ingress policies with ingress allow-all policy "
        "taking precedence (before the allow-all policy)",
        (ALLOW_INGRESS_80_X,),
        (Probe(81, "TCP", (deny("*", "x"),)),),
    ),
    Case(
        "should enforce multiple ingress policies with ingress allow-all policy "
        "taking precedence",
        (ALLOW_INGRESS_80_X, ALLOW_ALL_INGRESS_X.replace("allow-all", "allow-ingress")),
        (Probe(81, "TCP"),),
    ),
    Case(
        "should enforce multiple egress policies with egress allow-all policy "
        "taking precedence (before the allow-all policy)",
        (ALLOW_EGRESS_80_X,),
        (Probe(81, "TCP", (deny("x", "*"),)),),
    ),
    Case(
        "should enforce multiple egress policies with egress allow-all policy "
        "taking precedence",
        (ALLOW_EGRESS_80_X, ALLOW_ALL_EGRESS_X),
        (Probe(81, "TCP"),),
    ),
    Case(
        "should stop enforcing policies after they are deleted (before deletion)",
        (DENY_ALL_X,),
        (Probe(80, "TCP", (deny("x", "*"), deny("*", "x"))),),
    ),
    Case(
        "should stop enforcing policies after they are deleted",
        (),
        (Probe(80, "TCP"),),
    ),
    Case(
        "should allow egress access to server in CIDR block",
        (
            egress_from(
                "allow-client-a-via-cidr-egress-rule",
                "{matchLabels: {pod: a}}",
                """\
    - to:
      - ipBlock: {cidr: 10.244.2.11/32}
""",
            ),
        ),
        (Probe(80, "TCP", (deny_egress("x/a"), allow("x/a", "y/b"))),),
        {"pod_ips": True},
    ),
    Case(
        "should enforce except clause while egress access to server in CIDR block",
        (
            egress_from(
                "allow-client-a-via-cidr-egress-rule",
                "{matchLabels: {pod: a}}",
                """\
    - to:
      - ipBlock:
          cidr: 0.0.0.0/4
          except: [10.244.1.11/32]
""",
            ),
        ),
        (Probe(80, "TCP", (deny("x/a", "x/b"),)),),
        {"pod_ips": True},
    ),
    Case(
        "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is "
        "allowed (final state: the policy updated to x/b's /32)",
        (
            egress_from(
                "allow-client-a-via-cidr-egress-rule",
                "{matchLabels: {pod: a}}",
                """\
    - to:
      - ipBlock: {cidr: 10.244.1.11/32}
""",
            ),
        ),
        (Probe(80, "TCP", (deny_egress("x/a"), allow("x/a", "x/b"))),),
        {"pod_ips": True},
    ),
    Case(
        "should enforce policies to check ingress and egress policies can be "
        "controlled independently based on PodSelector",
        (
            egress_from(
                "allow-egress-for-target", "{matchLabels: {pod: a}}", "    - {}\n"
            ),
            policy(
                "x",
                "deny-ingress-via-label-selector",
                """\
    podSelector: {matchLabels: {pod: a}}
    policyTypes: [Ingress]
    ingress: []
""",
            ),
        ),
        (Probe(80, "TCP", (deny_ingress("x/a"),)),),
    ),
    Case(
        "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if "
        "the plugin doesn't support SCTP",
        (
            DENY_INGRESS_X,
            ingress_to_xa(
                "allow-only-sctp-ingress-on-port-81",
                """\
    - ports:
      - {port: 81, protocol: SCTP}
""",
            ),
        ),
        (Probe(81, "TCP", (deny("*", "x"),)),),
    ),
    Case(
        "should properly isolate pods that are selected by a policy allowing SCTP, "
        "even if the plugin doesn't support SCTP",
        (
            ingress_to_xa(
                "allow-only-sctp-ingress-on-port-80",
                """\
    - ports:
      - {port: 80, protocol: SCTP}
""",
            ),
        ),
        (Probe(81, "TCP", (deny_ingress("x/a"),)),),
    ),
    Case(
        "should not allow access by TCP when a policy specifies only UDP",
        (
            ingress_to_xa(
                "allow-only-udp-ingress-on-port-81",
                """\
    - ports:
      - {port: 81, protocol: UDP}
""",
            ),
        ),
        (Probe(81, "TCP", (deny_ingress("x/a"),)),),
    ),
    Case(
        "should enforce policy to allow traffic based on NamespaceSelector with "
        "MatchLabels using default ns label",
        (
            ingress_to_xa(
                "allow-client-a-via-ns-selector-for-immutable-ns-label",
                f"""\
    - from:
      - namespaceSelector: {{matchLabels: {ns_name("y")}}}
""",
            ),
        ),
        (Probe(80, "TCP", FROM_Y_ONLY_INTO_XA),),
    ),
    Case(
        "should enforce policy based on NamespaceSelector with MatchExpressions "
        "using default ns label",
        (
            egress_from(
                "allow-ns-y-match-selector-for-immutable-ns-label",
                "{matchLabels: {pod: a}}",
                """\
    - to:
      - namespaceSelector:
          matchExpressions:
          - {key: kubernetes.io/metadata.name, operator: NotIn, values: [y]}
""",
            ),
        ),
        (Probe(80, "TCP", (deny("x/a", "y"),)),),
    ),
    # "NetworkPolicy between server and client using UDP"
    Case(
        "UDP: should support a 'default-deny-ingress' policy",
        (DENY_INGRESS_X.replace("deny-ingress", "deny-all"),),
        (Probe(80, "UDP", (deny("*", "x"),)),),
    ),
    Case(
        "UDP: should enforce policy based on Ports",
        (only_from_y_ports("UDP"),),
        (Probe(81, "UDP", FROM_Y_ONLY_INTO_XA),),
    ),
    Case(
        "UDP: should enforce policy to allow traffic only from a pod in a different "
        "namespace based on PodSelector and NamespaceSelector",
        (only_from_ya(),),
        (Probe(80, "UDP", (deny_ingress("x/a"), allow("y/a", "x/a"))),),
    ),
    # "NetworkPolicy between server and client using SCTP"
    Case(
        "SCTP: should support a 'default-deny-ingress' policy",
        (DENY_INGRESS_X.replace("deny-ingress", "deny-all"),),
        (Probe(80, "SCTP", (deny("*", "x"),)),),
    ),
    Case(
        "SCTP: should enforce policy based on Ports",
        (only_from_y_ports("SCTP"),),
        (Probe(81, "SCTP", FROM_Y_ONLY_INTO_XA),),
    ),
    Case(
        "SCTP: should enforce policy to allow traffic only from a pod in a different "
        "namespace based on PodSelector and NamespaceSelector",
        (only_from_ya(),),
        (Probe(80, "SCTP", (deny_ingress("x/a"), allow("y/a", "x/a"))),),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_upstream_truth_table(case: Case, e2e, expect, check) -> None:
    cluster = e2e(*case.policies, **case.options)
    for probe in case.probes:
        expected = expect(True)
        for verb, src, dst in probe.ops:
            expected.set(src, dst, verb == "allow")
        check(cluster, probe.port, probe.protocol, expected)


def test_upstream_case_names_are_unique() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))


# Two cases in the same 9x9 shape that the stored versions of network_policy.go do
# not probe as truth tables. The first uses upstream's GetDenyAllWithEgressDNS
# policy (policies.go); the second checks endPort (K8S-NP "Targeting a range of
# ports"). Expected values follow SEMANTICS.md section 1.

KUBE_DNS = """\
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Pod
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  containers:
  - name: coredns
    image: registry.k8s.io/coredns/coredns:v1.11.1
    ports:
    - {name: dns, containerPort: 53, protocol: UDP}
    - {name: dns-tcp, containerPort: 53, protocol: TCP}
"""


def test_deny_all_with_egress_dns(e2e, expect, check) -> None:
    cluster = e2e(
        policy(
            "x",
            "deny-all-tcp-allow-dns",
            """\
    podSelector: {}
    policyTypes: [Egress, Ingress]
    ingress: []
    egress:
    - ports:
      - {port: 53, protocol: UDP}
""",
        ),
        extra=[KUBE_DNS],
    )

    check(cluster, 80, "TCP", expect(True).deny("x", "*").deny("*", "x"))
    for pod in ("x/a", "x/b", "x/c"):
        assert cluster.can_reach(pod, "kube-system/kube-dns", 53, "UDP").allowed
        assert not cluster.can_reach(pod, "kube-system/kube-dns", 53, "TCP").allowed
    assert cluster.can_reach("y/a", "kube-system/kube-dns", 53, "TCP").allowed


def test_end_port_range_from_namespace_y(e2e, expect, check) -> None:
    cluster = e2e(
        ingress_to_xa(
            "allow-y-on-80-to-81",
            f"""\
    - from:
      - namespaceSelector: {{matchLabels: {ns_name("y")}}}
      ports:
      - {{port: 80, endPort: 81, protocol: TCP}}
""",
        )
    )

    from_y_only = expect(True).deny("x", "x/a").deny("z", "x/a")
    check(cluster, 80, "TCP", from_y_only)
    check(cluster, 81, "TCP", from_y_only)
    check(cluster, 80, "UDP", expect(True).deny("*", "x/a"))
    check(cluster, 81, "SCTP", expect(True).deny("*", "x/a"))
