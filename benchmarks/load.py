"""Load on the REST API: concurrent clients posting articles to a server this script starts on loopback.

    python benchmarks/load.py [--model DIR] [--data ../shared/data/semeval2023] [--clients 16] [--seconds 60]

It starts `unspin serve` on a free 127.0.0.1 port (rate limit off, a temporary data
directory), waits for /readyz, warms up, then runs ``--clients`` concurrent clients, each
posting one article after another to POST /v1/analyze for ``--seconds`` (at most
``--max-requests`` in all). Articles are SemEval-2023 test articles in six languages when
the data is present, else the repository's examples. It prints one JSON object: requests/s,
articles/s, p50/p95/p99 latency, errors by kind, and (unless --no-in-process) the in-process
`Analyzer.pipe` throughput on the same articles after the server has stopped, for the
ratio the issue asks for. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from speed import ROOT, load_articles  # benchmarks/speed.py
from unspin.analyzer import default_model_path

READY_TIMEOUT = 300.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(model: Path, data_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "unspin",
        "serve",
        "--port",
        str(port),
        "--model",
        str(model),
        "--data-dir",
        str(data_dir),
        "--rate-limit",
        "off",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server was not ready within {READY_TIMEOUT:g} s:\n{log.read_text()}")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def client_loop(
    http: httpx.AsyncClient,
    bodies: list[dict[str, Any]],
    start: int,
    stride: int,
    deadline: float,
    budget: list[int],
    latencies: list[float],
    errors: Counter[str],
) -> None:
    index = start
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        body = bodies[index % len(bodies)]
        index += stride
        started = time.perf_counter()
        try:
            response = await http.post("/v1/analyze", json=body)
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] += 1
            continue
        if response.status_code == 200:
            latencies.append(time.perf_counter() - started)
        else:
            errors[f"HTTP {response.status_code}"] += 1


async def run_load(
    url: str, bodies: list[dict[str, Any]], clients: int, seconds: float, max_requests: int, warmup_requests: int
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        for body in bodies[:warmup_requests]:
            (await http.post("/v1/analyze", json=body)).raise_for_status()
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        budget = [max_requests]
        started = time.monotonic()
        await asyncio.gather(
            *(
                client_loop(http, bodies, i, clients, started + seconds, budget, latencies, errors)
                for i in range(clients)
            )
        )
        elapsed = time.monotonic() - started
    answered = len(latencies)
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": answered + sum(errors.values()),
        "requests_per_s": round(answered / elapsed, 2),
        "errors": sum(errors.values()),
        "errors_by_kind": dict(errors),
        "latency_s": {
            name: None if value is None else round(value, 3)
            for name, value in (
                ("p50", percentile(latencies, 50)),
                ("p95", percentile(latencies, 95)),
                ("p99", percentile(latencies, 99)),
                ("max", max(latencies, default=None)),
            )
        },
    }


def in_process(model: Path, articles: list[Any]) -> dict[str, Any]:
    from unspin.analyzer import Analyzer
    from unspin.batch import configure_threads

    configure_threads()
    analyzer = Analyzer.from_bundle(model)
    analyzer.analyze_many(articles[:4])  # warm-up
    started = time.perf_counter()
    for _ in analyzer.pipe(articles, batch_size=16):
        pass
    seconds = time.perf_counter() - started
    return {
        "articles": len(articles),
        "seconds": round(seconds, 2),
        "articles_per_s": round(len(articles) / seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=default_model_path())
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "semeval2023")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=120, help="Distinct articles posted in turn.")
    parser.add_argument("--warmup", type=int, default=4, help="Requests sent one by one before the timed run.")
    parser.add_argument("--no-in-process", action="store_true", help="Skip the in-process comparison.")
    args = parser.parse_args()

    articles = load_articles(args.data, args.articles)
    bodies = [{"text": a.text} for a in articles]
    with tempfile.TemporaryDirectory(prefix="unspin-load-") as tmp:
        process, url = start_server(args.model, Path(tmp) / "data", Path(tmp) / "server.log")
        try:
            result = asyncio.run(run_load(url, bodies, args.clients, args.seconds, args.max_requests, args.warmup))
        finally:
            process.terminate()
            process.wait(60)
    result.update(
        {
            "articles": len(bodies),
            "mean_article_chars": round(sum(len(b["text"]) for b in bodies) / len(bodies)),
            "model": str(args.model),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        }
    )
    if not args.no_in_process:
        result["in_process"] = in_process(args.model, articles)
        result["throughput_vs_in_process"] = round(result["requests_per_s"] / result["in_process"]["articles_per_s"], 3)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
