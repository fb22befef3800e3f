"""Webhook ingress benchmarks (docs/BENCHMARKS.md, "## Webhook ingress").

1. Acknowledgement latency: the webhook app under gunicorn (the production server) on
   loopback, a real Redis, an open-loop burst of signed `pull_request` deliveries at a fixed
   rate (each a distinct delivery and head SHA, so each must be stored and queued). Reports
   p50/p95/p99/max and checks that every delivery was answered 202 and is in the queue.
2. Delivery → posted comment for a 20-file PR: the same app, one warm `codeguard worker`
   process, PyGithub against the local GitHub stand-in (tests/e2e/standins.py), a corpus of
   earlier PRs in Redis; time from the POST of the delivery to the stand-in receiving the
   comment. Files are Python solutions read in place from ../shared/data/rosetta.

Usage: python benchmarks/webhook_latency.py [--rate 200] [--count 2000] [--e2e-runs 5]
Uses Redis db 14 at 127.0.0.1:6379 (flushed) unless --redis-url is given.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.corpus import Corpus  # noqa: E402
from ml.submission import SourceFile, Submission  # noqa: E402
from tests.e2e.standins import GitHubStandIn  # noqa: E402
from webhooks.signatures import github_signature  # noqa: E402

SECRET = "bench-secret"
FIXTURE = ROOT.parent / "shared" / "fixtures" / "webhooks" / "github" / "pull_request.opened.json"
ROSETTA = ROOT.parent / "shared" / "data" / "rosetta" / "rosetta.jsonl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
           "--threads", str(threads), "--log-level", "warning", "webhooks.wsgi:app"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def pr_body(template: dict, number: int, sha: str, action: str = "opened") -> bytes:
    payload = json.loads(json.dumps(template))
    payload["action"] = action
    payload["number"] = number
    payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = sha
    return json.dumps(payload).encode()


def headers(body: bytes, delivery: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-GitHub-Event": "pull_request", "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": github_signature(SECRET, body)}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def ack_benchmark(url: str, conn: redis.Redis, rate: float, count: int) -> dict:
    template = json.loads(FIXTURE.read_text())
    bodies = [pr_body(template, 10_000 + i, hashlib.sha1(b"%d" % i).hexdigest()) for i in range(count)]
    local = threading.local()
    latencies: list[float] = [0.0] * count
    codes: list[int] = [0] * count
    start = time.perf_counter() + 0.5

    def send(i: int) -> None:
        session = getattr(local, "s", None) or requests.Session()
        local.s = session
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        response = session.post(url + "/webhooks/github", data=bodies[i], headers=headers(bodies[i], f"bench-{i}"),
                                timeout=10)
        latencies[i] = (time.perf_counter() - t0) * 1000
        codes[i] = response.status_code

    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(send, range(count)))
    elapsed = time.perf_counter() - start
    queued = conn.llen("rq:queue:cpu")
    return {"count": count, "rate_target": rate, "rate_achieved": round(count / elapsed, 1),
            "p50_ms": round(pct(latencies, 50), 2), "p95_ms": round(pct(latencies, 95), 2),
            "p99_ms": round(pct(latencies, 99), 2), "max_ms": round(max(latencies), 2),
            "status_202": codes.count(202), "queued": queued, "lost": count - queued}


def rosetta_python(n: int, seed: int = 0) -> list[str]:
    rows = [json.loads(line) for line in ROSETTA.open()]
    python = [r["code"] for r in rows if r["language"].lower() == "python" and 20 <= r["code"].count("\n") <= 200]
    random.Random(seed).shuffle(python)
    return python[:n]


def e2e_benchmark(url: str, env: dict[str, str], conn: redis.Redis, runs: int, corpus_size: int) -> dict:
    github = GitHubStandIn().start()
    assert isinstance(github, GitHubStandIn)
    codes = rosetta_python(20 * (corpus_size + 1))
    corpus = Corpus(conn)
    for k in range(corpus_size):  # earlier PRs of the repository
        files = [SourceFile(f"sol{j}.py", "python", codes[20 * (k + 1) + j]) for j in range(20)]
        corpus.store(f"github:{github.repo}", Submission(f"{github.repo}#{k + 1}", files), "e" * 40)
    worker_env = dict(env, GITHUB_API_URL=github.url)
    worker = subprocess.Popen([sys.executable, "-m", "bot", "worker", "--queue", "cpu"], env=worker_env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    template = json.loads(FIXTURE.read_text())
    times: list[float] = []
    try:
        time.sleep(3)  # worker start-up (imports) is not part of a delivery's latency
        for run in range(runs + 1):  # run 0 warms the worker's imports and tree-sitter parsers
            sha = hashlib.sha1(f"bench-run-{run}".encode()).hexdigest()
            files = {f"src/sol{j}.py": codes[j] + f"\n# revision {run}\n" for j in range(20)}
            github.add_pull(500, sha, files)
            body = pr_body(template, 500, sha, "opened" if run == 0 else "synchronize")
            n_before = len(github.calls("POST", r"/issues/500/comments$")) + len(github.calls("PATCH", r"/issues/comments/"))
            t0 = time.perf_counter()
            response = requests.post(url + "/webhooks/github", data=body, headers=headers(body, f"e2e-{run}"), timeout=10)
            assert response.status_code == 202, response.text
            while True:
                n = len(github.calls("POST", r"/issues/500/comments$")) + len(github.calls("PATCH", r"/issues/comments/"))
                if n > n_before:
                    break
                if time.perf_counter() - t0 > 300:
                    raise RuntimeError("no comment within 300 s")
                time.sleep(0.01)
            if run > 0:
                times.append(time.perf_counter() - t0)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        github.stop()
    return {"runs": runs, "files": 20, "corpus_submissions": corpus_size, "median_s": round(statistics.median(times), 3),
            "min_s": round(min(times), 3), "max_s": round(max(times), 3)}


def main() -> int:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--e2e-runs", type=int, default=5)
    parser.add_argument("--corpus", type=int, default=10, help="earlier 20-file PRs in the corpus")
    parser.add_argument("--skip-e2e", action="store_true", help="only the acknowledgement burst")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--out", default=str(ROOT / "scratch" / "benchmarks" / "webhook_latency.json"))
    args = parser.parse_args()

    conn = redis.Redis.from_url(args.redis_url)
    conn.flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEGUARD_", "GITHUB_", "GITLAB_"))}
    env.update({"CODEGUARD_REDIS_URL": args.redis_url, "GITHUB_WEBHOOK_SECRET": SECRET, "GITHUB_TOKEN": "bench",
                "CODEGUARD_MODEL": "none", "CODEGUARD_GITHUB_MIN_INTERVAL": "0",
                "CODEGUARD_GITHUB_WRITE_INTERVAL": "0", "PYTHONPATH": str(ROOT)})
    port = free_port()
    server = start_gunicorn(env, port, args.workers, args.threads)
    url = f"http://127.0.0.1:{port}"
    try:
        load_before = os.getloadavg()[0]
        ack = ack_benchmark(url, conn, args.rate, args.count)
        ack["load_avg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        print(json.dumps({"ack": ack}), flush=True)
        conn.flushdb()
        e2e = None
        if not args.skip_e2e:
            e2e = e2e_benchmark(url, env, conn, args.e2e_runs, args.corpus)
            e2e["load_avg_1m"] = round(os.getloadavg()[0], 2)
            print(json.dumps({"e2e": e2e}), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        conn.flushdb()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"ack": ack, "e2e": e2e, "args": vars(args), "cpus": os.cpu_count()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
