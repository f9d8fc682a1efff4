"""NetworkPolicy semantics, rule by rule (SEMANTICS.md section 1 and section 4).

Each test names the rule it checks; expected values come from SEMANTICS.md and
the Kubernetes NetworkPolicy concept and API pages, never from ztlab. Where the
contract leaves the shape of a verdict open, tests look at ``.allowed`` and
``.definite`` only.
"""

from __future__ import annotations

import pytest

WEB = [(8080, "TCP", "http")]


def netpol(namespace: str, name: str, spec: str) -> str:
    """A NetworkPolicy document; ``spec`` is YAML indented by two spaces."""
    return (
        "apiVersion: networking.k8s.io/v1\n"
        "kind: NetworkPolicy\n"
        f"metadata:\n  name: {name}\n  namespace: {namespace}\n"
        f"spec:\n{spec}"
    )


def allowed(cluster, src: str, dst: str, port=None, protocol: str = "TCP") -> bool:
    return bool(cluster.can_reach(src, dst, port=port, protocol=protocol).allowed)


@pytest.fixture
def shop(pod, namespace):
    """Namespace shop with web, api and db, each serving TCP 8080; plus other/probe."""
    return [
        namespace("shop"),
        namespace("other"),
        pod("shop", "web", {"app": "web"}, WEB),
        pod("shop", "api", {"app": "api"}, WEB),
        pod("shop", "db", {"app": "db"}, WEB),
        pod("other", "probe", {"app": "probe"}, WEB),
    ]


# Isolation


def test_pod_no_policy_selects_allows_everything_both_ways(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        netpol(
            "shop",
            "db-only",
            """\
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
""",
        ),
    )

    assert allowed(cluster, "shop/web", "shop/api", 8080)
    assert allowed(cluster, "shop/api", "shop/web", 8080)
    assert allowed(cluster, "other/probe", "shop/web", 8080)
    assert allowed(cluster, "shop/web", "other/probe", 8080)
    assert not allowed(cluster, "shop/web", "shop/db", 8080)
    assert not allowed(cluster, "shop/db", "shop/web", 8080)


def test_ingress_isolation_leaves_egress_open(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        netpol(
            "shop",
            "deny-ingress-db",
            """\
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
""",
        ),
    )

    assert not allowed(cluster, "shop/web", "shop/db", 8080)
    assert not allowed(cluster, "other/probe", "shop/db", 8080)
    assert allowed(cluster, "shop/db", "shop/web", 8080)
    assert allowed(cluster, "shop/db", "other/probe", 8080)


def test_egress_isolation_leaves_ingress_open(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        netpol(
            "shop",
            "deny-egress-db",
            """\
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
""",
        ),
    )

    assert not allowed(cluster, "shop/db", "shop/web", 8080)
    assert not allowed(cluster, "shop/db", "other/probe", 8080)
    assert allowed(cluster, "shop/web", "shop/db", 8080)
    assert allowed(cluster, "other/probe", "shop/db", 8080)


def test_policy_isolates_only_pods_of_its_own_namespace(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        netpol(
            "other",
            "deny-all",
            """\
  podSelector: {}
  policyTypes: [Ingress, Egress]
""",
        ),
    )

    assert allowed(cluster, "shop/web", "shop/db", 8080)
    assert not allowed(cluster, "shop/web", "other/probe", 8080)
    assert not allowed(cluster, "other/probe", "shop/web", 8080)


def test_policy_types_absent_without_egress_section_means_ingress_only(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        netpol(
            "shop",
            "db-from-api",
            """\
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: api}}
""",
        ),
    )

    assert allowed(cluster, "shop/api", "shop/db", 8080)
    assert not allowed(cluster, "shop/web", "shop/db", 8080)
    assert allowed(cluster, "shop/db", "shop/web", 8080)
    assert allowed(cluster, "shop/db", "other/probe", 8080)
    assert cluster.network_policies["shop/db-from-api"].policy_types == {"Ingress"}


def test_egress_only_policy_without_policy_types_also_denies_ingress(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        netpol(
            "shop",
            "db-egress-to-api",
            """\
  podSelector: {matchLabels: {app: db}}
  egress:
  - to:
    - podSelector: {matchLabels: {app: api}}
""",
        ),
    )

    assert allowed(cluster, "shop/db", "shop/api", 8080)
    assert not allowed(cluster, "shop/db", "shop/web", 8080)
    assert not allowed(cluster, "shop/api", "shop/db", 8080)
    assert not allowed(cluster, "shop/web", "shop/db", 8080)
    effective = cluster.network_policies["shop/db-egress-to-api"].policy_types
    assert effective == {"Ingress", "Egress"}


def test_egress_section_is_inert_when_policy_types_omit_egress(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        netpol(
            "shop",
            "ingress-only",
            """\
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
  - {}
  egress: []
""",
        ),
    )

    assert allowed(cluster, "shop/db", "shop/web", 8080)
    assert allowed(cluster, "shop/db", "203.0.113.7", 443)
    assert allowed(cluster, "shop/web", "shop/db", 8080)


def test_ingress_section_is_inert_when_policy_types_omit_ingress(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        netpol(
            "shop",
            "egress-only",
            """\
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  ingress: []
  egress:
  - {}
""",
        ),
    )

    assert allowed(cluster, "shop/web", "shop/db", 8080)
    assert allowed(cluster, "other/probe", "shop/db", 8080)
    assert allowed(cluster, "shop/db", "shop/web", 8080)


def test_allowed_set_is_the_union_of_all_policies(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        netpol(
            "shop",
            "deny-all-ingress",
            """\
  podSelector: {}
  policyTypes: [Ingress]
  ingress: []
""",
        ),
        netpol(
            "shop",
            "db-from-web",
            """\
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
""",
        ),
        netpol(
            "shop",
            "db-from-api",
            """\
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: api}}
""",
        ),
    )

    assert allowed(cluster, "shop/web", "shop/db", 8080)
    assert allowed(cluster, "shop/api", "shop/db", 8080)
    assert not allowed(cluster, "other/probe", "shop/db", 8080)
    assert not allowed(cluster, "shop/db", "shop/api", 8080)


def test_connection_needs_egress_of_source_and_ingress_of_destination(load_yaml, shop):
    egress_web_to_db = netpol(
        "shop",
        "web-egress-db",
        """\
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector: {matchLabels: {app: db}}
""",
    )
    ingress_db_from_api = netpol(
        "shop",
        "db-from-api",
        """\
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: api}}
""",
    )
    cluster = load_yaml(*shop, egress_web_to_db, ingress_db_from_api)

    assert not allowed(cluster, "shop/web", "shop/db", 8080)
    assert not allowed(cluster, "shop/web", "shop/api", 8080)
    assert allowed(cluster, "shop/api", "shop/db", 8080)


def test_reply_traffic_is_not_a_separate_connection(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        netpol(
            "shop",
            "db-no-egress",
            """\
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  egress: []
""",
        ),
    )

    # db answers web's connection although db may open none of its own.
    assert allowed(cluster, "shop/web", "shop/db", 8080)
    assert not allowed(cluster, "shop/db", "shop/web", 8080)


# Rules and peers


def _db_ingress(spec_rules: str) -> str:
    return netpol(
        "shop",
        "db",
        "  podSelector: {matchLabels: {app: db}}\n"
        "  policyTypes: [Ingress]\n"
        f"  ingress:{spec_rules}",
    )


@pytest.mark.parametrize(
    "rules", [" []\n", "\n"], ids=["ingress: []", "ingress absent (null)"]
)
def test_empty_or_absent_ingress_allows_nothing(load_yaml, shop, rules):
    cluster = load_yaml(*shop, _db_ingress(rules))

    assert not allowed(cluster, "shop/web", "shop/db", 8080)
    assert not allowed(cluster, "other/probe", "shop/db", 8080)
    assert not allowed(cluster, "shop/web", "shop/db")
    assert not allowed(cluster, "198.51.100.4", "shop/db", 8080)


def test_ingress_rule_empty_object_allows_everything(load_yaml, shop):
    cluster = load_yaml(*shop, _db_ingress("\n  - {}\n"))

    assert allowed(cluster, "shop/web", "shop/db", 8080)
    assert allowed(cluster, "other/probe", "shop/db", 1)
    assert allowed(cluster, "other/probe", "shop/db", 65535)
    assert allowed(cluster, "shop/web", "shop/db", 53, "UDP")
    assert allowed(cluster, "shop/web", "shop/db", 9, "SCTP")
    assert allowed(cluster, "198.51.100.4", "shop/db", 8080)


@pytest.mark.parametrize(
    "rule",
    ["  - ports: [{port: 8080}]\n", "  - from: []\n    ports: [{port: 8080}]\n"],
    ids=["from missing", "from empty"],
)
def test_missing_or_empty_from_matches_all_peers(load_yaml, shop, rule):
    cluster = load_yaml(*shop, _db_ingress("\n" + rule))

    assert allowed(cluster, "shop/web", "shop/db", 8080)
    assert allowed(cluster, "other/probe", "shop/db", 8080)
    assert allowed(cluster, "198.51.100.4", "shop/db", 8080)
    assert not allowed(cluster, "shop/web", "shop/db", 8081)


@pytest.mark.parametrize(
    "rule",
    [
        "  - from: [{podSelector: {matchLabels: {app: web}}}]\n",
        "  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: []\n",
    ],
    ids=["ports missing", "ports empty"],
)
def test_missing_or_empty_ports_matches_all_ports(load_yaml, shop, rule):
    cluster = load_yaml(*shop, _db_ingress("\n" + rule))

    for port, protocol in [(8080, "TCP"), (1, "TCP"), (53, "UDP"), (9, "SCTP")]:
        assert allowed(cluster, "shop/web", "shop/db", port, protocol)
    assert not allowed(cluster, "shop/api", "shop/db", 8080)


def test_egress_missing_to_matches_all_destinations(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        netpol(
            "shop",
            "web-egress-8080",
            """\
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 8080}]
""",
        ),
    )

    assert allowed(cluster, "shop/web", "shop/db", 8080)
    assert allowed(cluster, "shop/web", "other/probe", 8080)
    assert allowed(cluster, "shop/web", "203.0.113.7", 8080)
    assert not allowed(cluster, "shop/web", "203.0.113.7", 443)


def test_ports_never_pair_with_peers_of_another_rule(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        _db_ingress(
            """
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 80}]
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 443}]
"""
        ),
    )

    assert allowed(cluster, "shop/web", "shop/db", 80)
    assert allowed(cluster, "shop/api", "shop/db", 443)
    assert not allowed(cluster, "shop/web", "shop/db", 443)
    assert not allowed(cluster, "shop/api", "shop/db", 80)


def test_pod_selector_only_peer_means_the_policy_namespace(load_yaml, pod, namespace):
    cluster = load_yaml(
        namespace("shop"),
        namespace("other"),
        pod("shop", "db", {"app": "db"}, WEB),
        pod("shop", "client", {"role": "client"}, WEB),
        pod("other", "client", {"role": "client"}, WEB),
        _db_ingress("\n  - from: [{podSelector: {matchLabels: {role: client}}}]\n"),
    )

    assert allowed(cluster, "shop/client", "shop/db", 8080)
    assert not allowed(cluster, "other/client", "shop/db", 8080)


def test_empty_namespace_selector_means_all_namespaces(load_yaml, pod, namespace):
    cluster = load_yaml(
        namespace("shop"),
        namespace("other"),
        namespace("third", {"team": "blue"}),
        pod("shop", "db", {"app": "db"}, WEB),
        pod("shop", "client", {"role": "client"}, WEB),
        pod("other", "client", {"role": "client"}, WEB),
        pod("third", "worker", {"role": "worker"}, WEB),
        _db_ingress(
            """
  - from:
    - namespaceSelector: {}
      podSelector: {matchLabels: {role: client}}
  - from:
    - namespaceSelector: {}
    ports: [{port: 9090}]
"""
        ),
    )

    assert allowed(cluster, "shop/client", "shop/db", 8080)
    assert allowed(cluster, "other/client", "shop/db", 8080)
    assert not allowed(cluster, "third/worker", "shop/db", 8080)
    assert allowed(cluster, "third/worker", "shop/db", 9090)
    assert not allowed(cluster, "198.51.100.4", "shop/db", 9090)


def _from_namespace_named(name: str, key: str = "kubernetes.io/metadata.name") -> str:
    return _db_ingress(
        f"\n  - from: [{{namespaceSelector: {{matchLabels: {{{key}: {name}}}}}}}]\n"
    )


def test_declared_namespaces_get_the_metadata_name_label(load_yaml, pod, namespace):
    cluster = load_yaml(
        namespace("shop"),
        namespace("frontend"),
        pod("shop", "db", {"app": "db"}, WEB),
        pod("frontend", "ui", {"app": "ui"}, WEB),
        _from_namespace_named("frontend"),
    )

    assert cluster.namespaces["frontend"].labels["kubernetes.io/metadata.name"] == (
        "frontend"
    )
    assert allowed(cluster, "frontend/ui", "shop/db", 8080)


def test_inferred_namespace_gets_the_metadata_name_label(load_yaml, pod, namespace):
    # "batch" is never declared; only the Pod's metadata.namespace names it.
    cluster = load_yaml(
        namespace("shop"),
        pod("shop", "db", {"app": "db"}, WEB),
        pod("batch", "job", {"app": "job"}, WEB),
        _from_namespace_named("batch"),
    )

    assert cluster.namespaces["batch"].labels["kubernetes.io/metadata.name"] == "batch"
    assert allowed(cluster, "batch/job", "shop/db", 8080)


def test_name_label_is_not_set_on_namespaces(load_yaml, pod, namespace):
    cluster = load_yaml(
        namespace("shop"),
        namespace("frontend"),
        pod("shop", "db", {"app": "db"}, WEB),
        pod("frontend", "ui", {"app": "ui"}, WEB),
        _from_namespace_named("frontend", key="name"),
    )

    assert not allowed(cluster, "frontend/ui", "shop/db", 8080)


@pytest.fixture
def tiers(pod, namespace):
    """Pods with tier=web, tier=api and one without a tier label, plus db."""
    return [
        namespace("shop"),
        pod("shop", "db", {"app": "db"}, WEB),
        pod("shop", "web", {"app": "web", "tier": "web"}, WEB),
        pod("shop", "api", {"app": "api", "tier": "api"}, WEB),
        pod("shop", "bare", {"app": "bare"}, WEB),
    ]


@pytest.mark.parametrize(
    ("expression", "admitted"),
    [
        ("{key: tier, operator: In, values: [web, api]}", {"web", "api"}),
        ("{key: tier, operator: NotIn, values: [web]}", {"api", "bare"}),
        ("{key: tier, operator: Exists}", {"web", "api"}),
        ("{key: tier, operator: DoesNotExist}", {"bare"}),
    ],
    ids=["In", "NotIn matches pods without the key", "Exists", "DoesNotExist"],
)
def test_match_expressions_operators(load_yaml, tiers, expression, admitted):
    cluster = load_yaml(
        *tiers,
        _db_ingress(
            f"""
  - from:
    - podSelector:
        matchExpressions:
        - {expression}
"""
        ),
    )

    for name in ("web", "api", "bare"):
        expected = name in admitted
        assert allowed(cluster, f"shop/{name}", "shop/db", 8080) is expected, name


def test_match_labels_and_match_expressions_are_anded(load_yaml, tiers, pod):
    cluster = load_yaml(
        *tiers,
        pod("shop", "web-canary", {"app": "web", "tier": "web", "track": "canary"}),
        _db_ingress(
            """
  - from:
    - podSelector:
        matchLabels: {app: web}
        matchExpressions:
        - {key: track, operator: DoesNotExist}
"""
        ),
    )

    assert allowed(cluster, "shop/web", "shop/db", 8080)
    assert not allowed(cluster, "shop/web-canary", "shop/db", 8080)
    assert not allowed(cluster, "shop/api", "shop/db", 8080)


def test_namespace_selector_not_in_matches_namespaces_lacking_the_key(
    load_yaml, pod, namespace
):
    cluster = load_yaml(
        namespace("shop"),
        namespace("dev", {"env": "dev"}),
        namespace("prod", {"env": "prod"}),
        namespace("plain"),
        pod("shop", "db", {"app": "db"}, WEB),
        *(pod(ns, "client", {"app": "client"}) for ns in ("dev", "prod", "plain")),
        _db_ingress(
            """
  - from:
    - namespaceSelector:
        matchExpressions:
        - {key: env, operator: NotIn, values: [dev]}
"""
        ),
    )

    assert not allowed(cluster, "dev/client", "shop/db", 8080)
    assert allowed(cluster, "prod/client", "shop/db", 8080)
    assert allowed(cluster, "plain/client", "shop/db", 8080)


# Ports


def test_port_none_means_some_port_is_allowed(load_yaml, shop):
    cluster = load_yaml(*shop, _db_ingress("\n  - ports: [{port: 8080}]\n"))
    denied = load_yaml(*shop, _db_ingress(" []\n"))

    assert allowed(cluster, "shop/web", "shop/db")
    assert not allowed(denied, "shop/web", "shop/db")


@pytest.fixture
def named(pod, namespace):
    """Pods that map the name http to different numbers, or not at all."""
    return [
        namespace("shop"),
        pod("shop", "client", {"app": "client"}),
        pod("shop", "a", {"tier": "server"}, [(8080, "TCP", "http")]),
        pod("shop", "b", {"tier": "server"}, [(9090, "TCP", "http")]),
        pod("shop", "c", {"tier": "server"}, [(8080, "TCP", "web")]),
        pod("shop", "d", {"tier": "server"}, [(8080, "UDP", "http")]),
    ]


def test_named_port_resolves_on_each_destination_pod(load_yaml, named):
    cluster = load_yaml(
        *named,
        netpol(
            "shop",
            "servers-http",
            """\
  podSelector: {matchLabels: {tier: server}}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: http}]
""",
        ),
    )

    assert allowed(cluster, "shop/client", "shop/a", 8080)
    assert not allowed(cluster, "shop/client", "shop/a", 9090)
    assert allowed(cluster, "shop/client", "shop/b", 9090)
    assert not allowed(cluster, "shop/client", "shop/b", 8080)
    # c declares no port named http: the entry gives it nothing.
    assert not allowed(cluster, "shop/client", "shop/c", 8080)
    assert not allowed(cluster, "shop/client", "shop/c")
    # d names a UDP port http; the entry's protocol is TCP by default.
    assert not allowed(cluster, "shop/client", "shop/d", 8080, "UDP")
    assert not allowed(cluster, "shop/client", "shop/d", 8080, "TCP")


def test_named_port_matches_only_with_its_protocol(load_yaml, named):
    cluster = load_yaml(
        *named,
        netpol(
            "shop",
            "servers-http-udp",
            """\
  podSelector: {matchLabels: {tier: server}}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: http, protocol: UDP}]
""",
        ),
    )

    assert allowed(cluster, "shop/client", "shop/d", 8080, "UDP")
    assert not allowed(cluster, "shop/client", "shop/a", 8080, "TCP")
    assert not allowed(cluster, "shop/client", "shop/a", 8080, "UDP")


def test_egress_named_port_resolves_on_the_destination(load_yaml, named):
    cluster = load_yaml(
        *named,
        netpol(
            "shop",
            "client-egress-http",
            """\
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: http}]
""",
        ),
    )

    assert allowed(cluster, "shop/client", "shop/a", 8080)
    assert allowed(cluster, "shop/client", "shop/b", 9090)
    assert not allowed(cluster, "shop/client", "shop/b", 8080)
    assert not allowed(cluster, "shop/client", "shop/c", 8080)


def test_protocol_defaults_to_tcp(load_yaml, shop):
    cluster = load_yaml(*shop, _db_ingress("\n  - ports: [{port: 53}]\n"))

    assert allowed(cluster, "shop/web", "shop/db", 53, "TCP")
    assert allowed(cluster, "shop/web", "shop/db", 53)
    assert not allowed(cluster, "shop/web", "shop/db", 53, "UDP")
    assert not allowed(cluster, "shop/web", "shop/db", 53, "SCTP")


@pytest.mark.parametrize("protocol", ["UDP", "SCTP"])
def test_udp_and_sctp_are_separate_from_tcp(load_yaml, shop, protocol):
    cluster = load_yaml(
        *shop, _db_ingress(f"\n  - ports: [{{port: 53, protocol: {protocol}}}]\n")
    )

    assert allowed(cluster, "shop/web", "shop/db", 53, protocol)
    for other in {"TCP", "UDP", "SCTP"} - {protocol}:
        assert not allowed(cluster, "shop/web", "shop/db", 53, other), other


def test_end_port_is_an_inclusive_range(load_yaml, shop):
    cluster = load_yaml(
        *shop, _db_ingress("\n  - ports: [{port: 32000, endPort: 32768}]\n")
    )

    for port, expected in [
        (31999, False),
        (32000, True),
        (32400, True),
        (32768, True),
        (32769, False),
    ]:
        assert allowed(cluster, "shop/web", "shop/db", port) is expected, port
    assert not allowed(cluster, "shop/web", "shop/db", 32000, "UDP")


def test_port_is_the_pod_port_not_the_service_port(load_yaml, mail):
    cluster = load_yaml(*mail, _email_ingress(5000))

    assert allowed(cluster, "shop/client", "shop/email", 5000)
    assert not allowed(cluster, "shop/client", "shop/email", 5001)


# ipBlock


def _egress_to(spec_rules: str) -> str:
    return netpol(
        "shop",
        "web-egress",
        "  podSelector: {matchLabels: {app: web}}\n"
        "  policyTypes: [Egress]\n"
        f"  egress:\n{spec_rules}",
    )


def test_ip_block_is_cidr_minus_except(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        _egress_to(
            """\
  - to:
    - ipBlock: {cidr: 10.0.0.0/24, except: [10.0.0.128/25]}
"""
        ),
    )

    assert allowed(cluster, "shop/web", "10.0.0.5", 443)
    assert allowed(cluster, "shop/web", "10.0.0.127", 443)
    assert not allowed(cluster, "shop/web", "10.0.0.128", 443)
    assert not allowed(cluster, "shop/web", "10.0.0.200", 443)
    assert not allowed(cluster, "shop/web", "10.0.1.1", 443)


def test_ip_block_except_is_not_a_deny(load_yaml, shop):
    carve = _egress_to(
        """\
  - to:
    - ipBlock: {cidr: 10.0.0.0/24, except: [10.0.0.128/25]}
  - to:
    - ipBlock: {cidr: 10.0.0.200/32}
"""
    )
    other_policy = netpol(
        "shop",
        "web-egress-more",
        """\
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.240/28}
""",
    )
    cluster = load_yaml(*shop, carve, other_policy)

    assert allowed(cluster, "shop/web", "10.0.0.200", 443)
    assert allowed(cluster, "shop/web", "10.0.0.250", 443)
    assert not allowed(cluster, "shop/web", "10.0.0.150", 443)


def test_ip_block_matches_a_pod_whose_ip_is_known(load_yaml, pod, namespace):
    cluster = load_yaml(
        namespace("shop"),
        pod("shop", "web", {"app": "web"}, WEB, ip="10.1.0.6"),
        pod("shop", "db", {"app": "db"}, WEB, ip="10.1.0.7"),
        pod("shop", "cache", {"app": "cache"}, WEB, ip="10.1.0.8"),
        _egress_to("  - to:\n    - ipBlock: {cidr: 10.1.0.7/32}\n"),
    )

    to_db = cluster.can_reach("shop/web", "shop/db", port=8080)
    to_cache = cluster.can_reach("shop/web", "shop/cache", port=8080)
    assert to_db.allowed and to_db.definite
    assert not to_cache.allowed and to_cache.definite


def test_ingress_ip_block_matches_a_source_pod_whose_ip_is_known(
    load_yaml, pod, namespace
):
    cluster = load_yaml(
        namespace("shop"),
        pod("shop", "web", {"app": "web"}, WEB, ip="10.1.0.6"),
        pod("shop", "api", {"app": "api"}, WEB, ip="10.1.0.9"),
        pod("shop", "db", {"app": "db"}, WEB, ip="10.1.0.7"),
        _db_ingress("\n  - from:\n    - ipBlock: {cidr: 10.1.0.6/32}\n"),
    )

    from_web = cluster.can_reach("shop/web", "shop/db", port=8080)
    from_api = cluster.can_reach("shop/api", "shop/db", port=8080)
    assert from_web.allowed and from_web.definite
    assert not from_api.allowed and from_api.definite


def test_ip_block_against_a_pod_of_unknown_ip_is_not_definite(load_yaml, shop):
    cluster = load_yaml(
        *shop, _egress_to("  - to:\n    - ipBlock: {cidr: 10.1.0.0/16}\n")
    )

    assert cluster.can_reach("shop/web", "shop/db", port=8080).definite is False


def test_selector_verdicts_are_definite_without_pod_ips(load_yaml, shop):
    cluster = load_yaml(
        *shop, _db_ingress("\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n")
    )

    assert cluster.can_reach("shop/web", "shop/db", port=8080).definite is True
    assert cluster.can_reach("shop/api", "shop/db", port=8080).definite is True


def test_host_network_source_is_not_definite(load_yaml, pod, namespace):
    cluster = load_yaml(
        namespace("shop"),
        namespace("monitoring"),
        pod("shop", "db", {"app": "db"}, WEB),
        pod("monitoring", "agent", {"app": "agent"}, host_network=True),
        _db_ingress(
            "\n  - from:\n    - namespaceSelector: {}\n"
            "      podSelector: {matchLabels: {app: agent}}\n"
        ),
    )

    assert cluster.can_reach("monitoring/agent", "shop/db", port=8080).definite is False


def test_host_network_destination_is_not_definite(load_yaml, pod, namespace):
    cluster = load_yaml(
        namespace("shop"),
        pod("shop", "web", {"app": "web"}, WEB),
        pod("shop", "node-exporter", {"app": "exporter"}, WEB, host_network=True),
        netpol(
            "shop",
            "deny-all",
            "  podSelector: {}\n  policyTypes: [Ingress]\n",
        ),
    )

    verdict = cluster.can_reach("shop/web", "shop/node-exporter", port=8080)
    assert verdict.definite is False


# Queries via a Service (and SEMANTICS.md example 8)


@pytest.fixture
def mail(pod, namespace):
    """Service shop/email port 5001 -> pod port 5000 (named smtp), and a client."""
    return [
        namespace("shop"),
        pod("shop", "client", {"app": "client"}),
        pod("shop", "email", {"app": "email"}, [(5000, "TCP", "smtp")]),
    ]


def _email_service(target_port: int | str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "email", "namespace": "shop"},
        "spec": {
            "selector": {"app": "email"},
            "ports": [{"port": 5001, "targetPort": target_port, "protocol": "TCP"}],
        },
    }


def _email_ingress(port: int) -> str:
    return netpol(
        "shop",
        "email",
        "  podSelector: {matchLabels: {app: email}}\n"
        "  policyTypes: [Ingress]\n"
        f"  ingress:\n  - ports: [{{port: {port}}}]\n",
    )


@pytest.mark.parametrize("target_port", [5000, "smtp"], ids=["numeric", "named"])
def test_example_8_service_port_maps_to_pod_port(load_yaml, mail, target_port):
    via_5000 = load_yaml(*mail, _email_service(target_port), _email_ingress(5000))
    via_5001 = load_yaml(*mail, _email_service(target_port), _email_ingress(5001))

    assert via_5000.can_reach("shop/client", "svc:shop/email", port=5001).allowed
    assert not via_5001.can_reach("shop/client", "svc:shop/email", port=5001).allowed


def test_unknown_workload_raises_query_error(load_yaml, shop):
    from ztlab.errors import QueryError

    cluster = load_yaml(*shop)

    with pytest.raises(QueryError):
        cluster.can_reach("shop/nope", "shop/db", port=8080)
    with pytest.raises(QueryError):
        cluster.can_reach("shop/web", "nowhere/db", port=8080)
    with pytest.raises(QueryError):
        cluster.can_reach("shop/web", "svc:shop/missing", port=80)


# Worked examples of SEMANTICS.md section 4


@pytest.fixture
def zones(pod, namespace):
    return [
        namespace("frontend", {"zone": "frontend"}),
        namespace("backend", {"zone": "backend"}),
        pod("backend", "db", {"app": "db"}, WEB),
        pod("frontend", "client", {"role": "client"}),
        pod("frontend", "other", {"role": "other"}),
        pod("backend", "client", {"role": "client"}),
    ]


def _backend_db(peers: str) -> str:
    return netpol(
        "backend",
        "db",
        "  podSelector: {matchLabels: {app: db}}\n"
        "  policyTypes: [Ingress]\n"
        f"  ingress:\n  - from:\n{peers}",
    )


def test_example_1_one_peer_is_and_two_peers_are_or(load_yaml, zones):
    one_peer = load_yaml(
        *zones,
        _backend_db(
            "    - namespaceSelector: {matchLabels: {zone: frontend}}\n"
            "      podSelector: {matchLabels: {role: client}}\n"
        ),
    )
    two_peers = load_yaml(
        *zones,
        _backend_db(
            "    - namespaceSelector: {matchLabels: {zone: frontend}}\n"
            "    - podSelector: {matchLabels: {role: client}}\n"
        ),
    )

    assert allowed(one_peer, "frontend/client", "backend/db", 8080)
    assert not allowed(one_peer, "frontend/other", "backend/db", 8080)
    assert not allowed(one_peer, "backend/client", "backend/db", 8080)
    for src in ("frontend/client", "frontend/other", "backend/client"):
        assert allowed(two_peers, src, "backend/db", 8080), src


def test_example_2_egress_only_without_policy_types(load_yaml, pod, namespace):
    cluster = load_yaml(
        namespace("n"),
        namespace("elsewhere"),
        pod("n", "one", {"app": "one"}, WEB),
        pod("n", "two", {"app": "two"}, WEB),
        pod("elsewhere", "peer", {"app": "peer"}, WEB),
        netpol("n", "egress-all", "  podSelector: {}\n  egress:\n  - {}\n"),
    )

    assert not allowed(cluster, "elsewhere/peer", "n/one", 8080)
    assert not allowed(cluster, "n/two", "n/one", 8080)
    assert not allowed(cluster, "198.51.100.4", "n/one", 8080)
    assert allowed(cluster, "n/one", "elsewhere/peer", 8080)
    assert allowed(cluster, "n/one", "203.0.113.7", 443)


def test_example_3_ports_only_rule_admits_any_source_on_that_port(load_yaml, shop):
    cluster = load_yaml(*shop, _db_ingress("\n  - ports: [{port: 80}]\n"))

    for src in ("shop/web", "shop/api", "other/probe", "198.51.100.4"):
        assert allowed(cluster, src, "shop/db", 80), src
        assert not allowed(cluster, src, "shop/db", 81), src
        assert not allowed(cluster, src, "shop/db", 80, "UDP"), src


def test_example_4_end_port_on_an_egress_ip_block(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        _egress_to(
            """\
  - to:
    - ipBlock: {cidr: 10.0.0.0/24}
    ports:
    - {protocol: TCP, port: 32000, endPort: 32768}
"""
        ),
    )

    assert allowed(cluster, "shop/web", "10.0.0.9", 32000)
    assert allowed(cluster, "shop/web", "10.0.0.9", 32768)
    assert not allowed(cluster, "shop/web", "10.0.0.9", 31999)
    assert not allowed(cluster, "shop/web", "10.0.0.9", 32769)
    assert not allowed(cluster, "shop/web", "10.0.1.9", 32000)


def _app_egress(extra_rules: str = "") -> str:
    return netpol(
        "app",
        "default-deny-egress",
        """\
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector: {matchLabels: {app: backend}}
    ports: [{port: 8080}]
"""
        + extra_rules,
    )


@pytest.fixture
def dns(pod, namespace):
    return [
        namespace("app"),
        namespace("kube-system"),
        pod("app", "frontend", {"app": "frontend"}, WEB),
        pod("app", "backend", {"app": "backend"}, WEB),
        pod(
            "kube-system",
            "kube-dns",
            {"k8s-app": "kube-dns"},
            [(53, "UDP", "dns"), (53, "TCP", "dns-tcp")],
        ),
    ]


def test_example_5_default_deny_egress_blocks_dns(load_yaml, dns):
    to_dns = "kube-system/kube-dns"
    dns_rule = """\
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
"""
    deny = load_yaml(*dns, _app_egress())
    udp_only = load_yaml(
        *dns, _app_egress(dns_rule + "    - {port: 53, protocol: UDP}\n")
    )
    both = load_yaml(
        *dns,
        _app_egress(
            dns_rule
            + "    - {port: 53, protocol: UDP}\n    - {port: 53, protocol: TCP}\n"
        ),
    )

    assert allowed(deny, "app/frontend", "app/backend", 8080)
    assert not allowed(deny, "app/frontend", to_dns, 53, "UDP")
    assert not allowed(deny, "app/frontend", to_dns, 53, "TCP")
    assert allowed(udp_only, "app/frontend", to_dns, 53, "UDP")
    assert not allowed(udp_only, "app/frontend", to_dns, 53, "TCP")
    assert allowed(both, "app/frontend", to_dns, 53, "UDP")
    assert allowed(both, "app/frontend", to_dns, 53, "TCP")


def test_example_6_name_label_admits_nothing_metadata_name_admits(
    load_yaml, pod, namespace
):
    base = [
        namespace("shop"),
        namespace("kube-system"),
        pod("shop", "db", {"app": "db"}, WEB),
        pod("kube-system", "metrics", {"app": "metrics"}),
    ]
    by_name = load_yaml(*base, _from_namespace_named("kube-system", key="name"))
    by_metadata_name = load_yaml(*base, _from_namespace_named("kube-system"))

    assert not allowed(by_name, "kube-system/metrics", "shop/db", 8080)
    assert allowed(by_metadata_name, "kube-system/metrics", "shop/db", 8080)


def test_example_7_ports_stay_with_their_own_ip_block(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        _egress_to(
            """\
  - to: [{ipBlock: {cidr: 10.0.0.4/32}}]
    ports: [{port: 80}]
  - to: [{ipBlock: {cidr: 10.0.0.5/32}}]
    ports: [{port: 443}]
"""
        ),
    )

    assert allowed(cluster, "shop/web", "10.0.0.4", 80)
    assert allowed(cluster, "shop/web", "10.0.0.5", 443)
    assert not allowed(cluster, "shop/web", "10.0.0.4", 443)
    assert not allowed(cluster, "shop/web", "10.0.0.5", 80)


# Self access: "a pod cannot block access to itself" (NetworkPolicy concept page,
# the list of entities a Pod can communicate with).


def test_a_pod_cannot_block_access_to_itself(load_yaml, shop):
    cluster = load_yaml(
        *shop,
        netpol(
            "shop",
            "deny-all",
            """\
  podSelector: {}
  policyTypes: [Ingress, Egress]
""",
        ),
    )

    verdict = cluster.can_reach("shop/db", "shop/db", 8080)
    assert verdict.allowed and verdict.definite
    assert not allowed(cluster, "shop/web", "shop/db", 8080)


def test_replicas_of_one_workload_follow_the_rules(load_yaml):
    deployment = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, ports: [{containerPort: 5432}]}]}
"""
    cluster = load_yaml(
        deployment,
        netpol(
            "shop",
            "deny-all",
            """\
  podSelector: {}
  policyTypes: [Ingress]
""",
        ),
    )

    # Between replicas the policy applies: the ingress default-deny holds.
    assert not allowed(cluster, "shop/db", "shop/db", 5432)


def test_a_known_pod_ip_names_that_pod(load_yaml):
    client = """\
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c}]}
status: {podIP: 10.1.2.3}
"""
    server = """\
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, ports: [{containerPort: 5432}]}]}
"""
    cluster = load_yaml(
        client,
        server,
        netpol(
            "shop",
            "db",
            """\
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}]}]
""",
        ),
    )
    # 10.1.2.3 is shop/client's address: the podSelector peer admits it.
    assert allowed(cluster, "10.1.2.3", "shop/db", 5432)
    # Any other address is outside the cluster, and no ipBlock admits it.
    assert not allowed(cluster, "10.1.2.4", "shop/db", 5432)
