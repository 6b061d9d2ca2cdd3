"""Counters and latency histograms, shown in the Prometheus text format (version 0.0.4).

    indicator_requests_total{endpoint,status}          requests answered
    indicator_request_seconds{endpoint}                latency histogram (and _sum, _count)
    indicator_records_scored_total{ruleset}            records scored (failed ones included)
    indicator_records_failed_total{ruleset}            records that could not be scored
    indicator_errors_total{kind}                       refused requests and failures, by kind
    indicator_reloads_total{outcome}                   reloads: done or refused
    indicator_model_info{name,sha256}                  1 for the model being served

Figures are per process: with `ind serve --workers N`, each worker counts its own requests
(a scraper sums them). All updates take one lock; they are a few additions per request.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Upper bounds (seconds) of the latency histogram's buckets; `+Inf` follows."""

Labels = tuple[tuple[str, str], ...]


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    escaped = ((name, value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")) for name, value in labels)
    return "{" + ",".join(f'{name}="{value}"' for name, value in escaped) + "}"


class Metrics:
    """The figures of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counters: dict[str, Counter[Labels]] = {
            name: Counter()
            for name in (
                "indicator_requests_total",
                "indicator_records_scored_total",
                "indicator_records_failed_total",
                "indicator_errors_total",
                "indicator_reloads_total",
            )
        }
        self.latency: dict[str, list[int]] = {}  # endpoint -> count per bucket, +Inf last
        self.latency_sum: dict[str, float] = {}
        self.model: Labels = ()

    def count(self, name: str, amount: int = 1, **labels: str) -> None:
        with self._lock:
            self.counters[name][tuple(sorted(labels.items()))] += amount

    def request(self, endpoint: str, status: int, seconds: float) -> None:
        with self._lock:
            self.counters["indicator_requests_total"][(("endpoint", endpoint), ("status", str(status)))] += 1
            buckets = self.latency.setdefault(endpoint, [0] * (len(BUCKETS) + 1))
            buckets[next((i for i, top in enumerate(BUCKETS) if seconds <= top), len(BUCKETS))] += 1
            self.latency_sum[endpoint] = self.latency_sum.get(endpoint, 0.0) + seconds

    def scored(self, rulesets: Iterable[tuple[str, bool]]) -> None:
        """Count scored records: (ruleset name, whether the record failed) for each."""
        scored: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        for name, bad in rulesets:
            scored[name] += 1
            failed[name] += bad
        with self._lock:
            for name, number in scored.items():
                self.counters["indicator_records_scored_total"][(("ruleset", name),)] += number
                if failed[name]:
                    self.counters["indicator_records_failed_total"][(("ruleset", name),)] += failed[name]

    def serving(self, name: str, sha256: str) -> None:
        with self._lock:
            self.model = (("name", name), ("sha256", sha256))

    def text(self) -> str:
        """The figures in the Prometheus text exposition format."""
        out: list[str] = []
        with self._lock:
            for name, values in self.counters.items():
                out.append(f"# TYPE {name} counter")
                out.extend(f"{name}{_labels(labels)} {value}" for labels, value in sorted(values.items()))
            out.append("# TYPE indicator_request_seconds histogram")
            for endpoint, buckets in sorted(self.latency.items()):
                running = 0
                for top, number in zip([*map(str, BUCKETS), "+Inf"], buckets, strict=True):
                    running += number
                    labels = _labels((("endpoint", endpoint), ("le", top)))
                    out.append(f"indicator_request_seconds_bucket{labels} {running}")
                out.append(
                    f"indicator_request_seconds_sum{_labels((('endpoint', endpoint),))} {self.latency_sum[endpoint]}"
                )
                out.append(f"indicator_request_seconds_count{_labels((('endpoint', endpoint),))} {running}")
            out.append("# TYPE indicator_model_info gauge")
            if self.model:
                out.append(f"indicator_model_info{_labels(self.model)} 1")
        return "\n".join(out) + "\n"
