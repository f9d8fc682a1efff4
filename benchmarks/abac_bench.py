"""ABAC benchmark: decisions per second for a 10-policy set, and the exhaustive table.

Run: .venv/bin/python benchmarks/abac_bench.py [--requests N]
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace
from pathlib import Path

from ztlab.abac import decision_table, load_policies
from ztlab.abac.engine import _evaluate

SAMPLE = (
    Path(__file__).resolve().parents[1]
    / "sample_clusters"
    / "fintech-zero-trust"
    / "abac"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200_000)
    args = parser.parse_args()

    full = load_policies(SAMPLE / "policies.yaml")
    policy_set = replace(full, policies=full.policies[:10], _engine={})
    schema = policy_set.schema
    rng = random.Random(7)
    domains = {name: schema[name].domain() for name in schema}
    requests = []
    for _ in range(args.requests):
        request: dict = {}
        for name, domain in domains.items():
            value = rng.choice(domain)
            value = list(value) if isinstance(value, tuple) else value
            root, _, field = name.partition(".")
            if field:
                request.setdefault(root, {})[field] = value
            else:
                request[root] = value
        requests.append(request)

    # One CEL condition, no cache: what the library costs per call.
    policy = policy_set.policies[3]
    values = policy_set.engine.key(requests[0])
    index = {n: i for i, n in enumerate(policy_set.engine.attributes)}
    part = tuple(values[index[n]] for n in policy.reads)
    n = 20_000
    start = time.perf_counter()
    for _ in range(n):
        _evaluate(policy, part)
    per_condition = (time.perf_counter() - start) / n

    start = time.perf_counter()
    for request in requests:
        policy_set.decide(request)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    for request in requests:
        policy_set.decide(request)
    warm = time.perf_counter() - start
    fresh_set = replace(policy_set, _engine={})
    start = time.perf_counter()
    fresh_set.engine.decide_many(requests)
    batch_cold = time.perf_counter() - start
    start = time.perf_counter()
    fresh_set.engine.decide_many(requests)
    batch_warm = time.perf_counter() - start

    fresh = replace(full, _engine={})
    start = time.perf_counter()
    table = decision_table(fresh)
    table_time = time.perf_counter() - start
    start = time.perf_counter()
    table.frame()
    frame_time = time.perf_counter() - start

    print(
        f"policies: {len(policy_set)}; requests: {len(requests):,} (random, domain "
        f"{schema.size():,})"
    )
    print(f"one condition uncached (target + CEL): {per_condition * 1e6:.1f} us")
    print(
        f"decide, first pass (caches filling): {len(requests) / cold:,.0f} decisions/s"
    )
    print(
        f"decide, second pass (caches warm):   {len(requests) / warm:,.0f} decisions/s"
    )
    print(f"decide_many, first pass: {len(requests) / batch_cold:,.0f} decisions/s")
    print(f"decide_many, second pass: {len(requests) / batch_warm:,.0f} decisions/s")
    print(
        f"exhaustive table ({len(table):,} requests, {len(full)} policies): "
        f"{table_time:.2f} s, as a DataFrame +{frame_time:.2f} s"
    )


if __name__ == "__main__":
    main()
