"""The benchmark workload of `cargo xtask bench`, run through the Python `awsimple` package.

Run by `cargo xtask bench --compare-python` with the project's venv Python, against the same
moto server as the Rust run (AWS_ENDPOINT_URL). Prints one `BENCH {json}` line per operation:
name, median wall seconds and median CPU seconds (user + system of this process, every thread)
over the repeats, HTTP requests per repeat, peak RSS in bytes. Operations the Python package has
no API for use its closest equivalent, said in `note`. With AWSIMPLE_BENCH_LANE=fast only the
fast-server lane runs (`fast.*` lines, against the server the Rust lane used).
"""

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import resource
from pathlib import Path
from urllib.parse import urlparse

import botocore.httpsession

N = int(os.environ.get("AWSIMPLE_BENCH_N", "200"))
REPEATS = int(os.environ.get("AWSIMPLE_BENCH_REPEATS", "3"))
LARGE = os.environ.get("AWSIMPLE_BENCH_LARGE", "1") == "1"
ONLY = os.environ.get("AWSIMPLE_BENCH_ONLY", "")
LANE = os.environ.get("AWSIMPLE_BENCH_LANE", "")
RUN = os.environ.get("AWSIMPLE_BENCH_RUN", str(os.getpid()))

# Count every HTTP request botocore sends, whatever session or client sends it.
REQUESTS = [0]
_send = botocore.httpsession.URLLib3Session.send


def _counting_send(self, request):
    REQUESTS[0] += 1
    return _send(self, request)


botocore.httpsession.URLLib3Session.send = _counting_send

from awsimple import S3Access, DynamoDBAccess, SQSAccess, SNSAccess  # noqa: E402
import awsimple.dynamodb  # noqa: E402

# One machine writes and reads: no clock skew to allow for (the Rust side is set alike), so the
# cached scan can hit right after the writes.
awsimple.dynamodb.get_accommodated_clock_skew = lambda: 0.0


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def report(name, times, cpu, requests, note=""):
    line = {
        "name": name,
        "median_s": statistics.median(times),
        "cpu_s": statistics.median(cpu),
        "requests": requests,
        "peak_rss": peak_rss(),
        "note": note,
    }
    print("BENCH " + json.dumps(line), flush=True)


def measure(name, repeats, setup, body, note=""):
    if ONLY and not name.startswith(ONLY):
        return
    times = []
    cpu = []
    requests = 0
    for _ in range(repeats):
        state = setup()
        REQUESTS[0] = 0
        start, used = time.perf_counter(), time.process_time()
        body(state)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - used)
        requests = REQUESTS[0]
    report(name, times, cpu, requests, note)


def big_file(folder: Path, mib: int) -> Path:
    path = folder / f"big-{mib}.bin"
    if not path.exists():
        block = os.urandom(1 << 20)
        with path.open("wb") as f:
            for i in range(mib):
                f.write(block[:-8] + i.to_bytes(8, "big"))
    return path


def s3(folder: Path):
    s3 = S3Access(f"pybench-{RUN}", cache_dir=folder / "cache")
    s3.create_bucket()
    keys = [f"small/{i}" for i in range(N)]
    measure("s3.write_string", REPEATS, lambda: None, lambda _: [s3.write_string(f"hello {k}", k) for k in keys])
    measure("s3.read_string", REPEATS, lambda: None, lambda _: [s3.read_string(k) for k in keys])
    measure("s3.dir", REPEATS, lambda: None, lambda _: s3.dir("small/"))
    small = folder / "small.bin"
    small.write_bytes(os.urandom(10_000))
    s3.upload(small, "cached/small.bin", force=True)
    dests = folder / "dests"
    dests.mkdir(exist_ok=True)
    s3.download_cached("cached/small.bin", dests / "warm.bin")
    measure(
        "s3.download_cached_hit",
        REPEATS,
        lambda: None,
        lambda _: [s3.download_cached("cached/small.bin", dests / f"d{i}.bin") for i in range(N)],
    )
    sync(s3, folder)
    if not LARGE:
        return
    for mib in (64, 256):
        path = big_file(folder, mib)
        key = f"large/{mib}.bin"
        measure(f"s3.upload_{mib}mib", 1, lambda: None, lambda _: s3.upload(path, key, force=True))
        measure(f"s3.reupload_unchanged_{mib}mib", REPEATS, lambda: None, lambda _: s3.upload(path, key))
        if not ONLY or f"s3.download_{mib}mib".startswith(ONLY):
            s3.upload(path, key)  # the object is there even when ONLY skipped the upload lines
        measure(f"s3.download_{mib}mib", REPEATS, lambda: None, lambda _: s3.download(key, folder / f"down-{mib}.bin"))
        (folder / f"down-{mib}.bin").unlink(missing_ok=True)


def dynamodb(folder: Path):
    table = DynamoDBAccess(f"pybench_{RUN}", cache_dir=folder / "dbcache")
    table.create_table("id")
    measure("dynamodb.put_item", REPEATS, lambda: None, lambda _: [table.put_item({"id": f"k{i}", "v": i}) for i in range(N)])
    measure("dynamodb.get_item", REPEATS, lambda: None, lambda _: [table.get_item("id", f"k{i}") for i in range(N)])
    measure(
        "dynamodb.batch_put",
        1,
        lambda: None,
        lambda _: [table.put_item({"id": f"b{i}", "v": i}) for i in range(10 * N)],
        note="no batch API in Python: 10xN single put_item",
    )
    measure("dynamodb.scan", REPEATS, lambda: None, lambda _: table.scan_table())
    table.scan_table_cached()
    measure("dynamodb.scan_cached_hit", REPEATS, lambda: None, lambda _: table.scan_table_cached())


def sqs(folder: Path):
    queue = SQSAccess(f"pybench-{RUN}", immediate_delete=True)
    queue.create_queue()

    def drain():
        # every repeat starts from an empty queue (the emulator's send slows as its queue grows)
        while queue.receive_messages():
            pass

    measure("sqs.send", REPEATS, drain, lambda _: [queue.send(f"message {i}") for i in range(N)])
    measure(
        "sqs.send_batch",
        REPEATS,
        drain,
        lambda _: [queue.send(f"message {i}") for i in range(N)],
        note="no batch send in Python: N single sends",
    )
    drain()

    def fill():
        for i in range(N):
            queue.send(f"message {i}")

    def drain(_):
        got = 0
        while got < N:
            messages = queue.receive_messages()
            if not messages:
                break
            got += len(messages)

    measure("sqs.receive_delete", REPEATS, fill, drain)
    sqs_worker()


def sqs_worker():
    """`sqs.worker_1000`: Python awsimple has no worker; its receive/delete loop over the same
    1000 messages (receive_messages(10), a handler that does nothing, then message.delete())."""
    name = "sqs.worker_1000"
    if ONLY and not name.startswith(ONLY):
        return
    messages = 1000
    queue = SQSAccess(f"pybench-worker-{RUN}", immediate_delete=False)
    queue.create_queue()

    def fill():
        # not timed: batch sends straight through boto3 (the package has no batch send)
        q = queue._get_queue()
        for start in range(0, messages, 10):
            q.send_messages(Entries=[{"Id": str(i), "MessageBody": f"message {i}"} for i in range(start, start + 10)])

    def handler(body):
        return body

    def drain(_):
        got = 0
        while got < messages:
            for message in queue.receive_messages(10):
                handler(message.message)
                message.delete()
                got += 1

    measure(name, REPEATS, fill, drain, note="no worker in Python: receive_messages(10) + message.delete() loop")
    queue.delete_queue()


def sns(folder: Path):
    topic = SNSAccess(f"pybench-{RUN}", auto_create=True)
    topic.create_topic()
    measure("sns.publish", REPEATS, lambda: None, lambda _: [topic.publish(f"message {i}") for i in range(N)])


def sync(s3, folder: Path):
    """Python awsimple has no directory sync: the same 1000-file tree as the Rust
    `s3.sync_up_*` lines, uploaded file by file with `upload` (which skips unchanged content
    after a HEAD per file)."""
    files = 1000
    tree = folder / "sync-tree"
    for i in range(files):
        path = tree / f"d{i % 10}" / f"f{i}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"file {i}")
    paths = sorted(p for p in tree.rglob("*") if p.is_file())
    rounds = [0]

    def upload_all(prefix, force):
        for p in paths:
            s3.upload(p, f"{prefix}/{p.relative_to(tree).as_posix()}", force=force)

    def fresh(_):
        rounds[0] += 1
        upload_all(f"sync/{rounds[0]}", True)

    measure("s3.sync_up_1000", REPEATS, lambda: None, fresh, "upload file by file")
    if not ONLY or "s3.sync_up_unchanged_1000".startswith(ONLY):
        upload_all("sync/base", True)
    measure("s3.sync_up_unchanged_1000", REPEATS, lambda: None, lambda _: upload_all("sync/base", False), "upload file by file, each skipped")


def fast_lane(folder: Path):
    """`dir` and the large transfers against the fast server (the Rust `fast.s3.*` lines)."""
    s3 = S3Access(f"pyfast-{RUN}", cache_dir=folder / "fastcache", cache_max_absolute=4 << 30)
    s3.create_bucket()
    if not ONLY or "fast.s3.dir".startswith(ONLY) or ONLY.startswith("fast.s3.dir"):
        keys = [f"small/{i}" for i in range(N)]
        for k in keys:
            s3.write_string(f"hello {k}", k)
        measure("fast.s3.dir", REPEATS, lambda: None, lambda _: s3.dir("small/"))
    mib = 1024 if LARGE else 64
    path = big_file(folder, mib)
    key = f"large/{mib}.bin"
    down = folder / f"down-{mib}.bin"
    # One repeat when large: Python spends about 2 minutes of CPU on a 1 GiB upload.
    measure(f"fast.s3.upload_{mib}mib", 1 if LARGE else REPEATS, lambda: None, lambda _: s3.upload(path, key, force=True), "1 repeat" if LARGE else "")
    s3.upload(path, key)
    measure(f"fast.s3.download_{mib}mib", REPEATS, lambda: None, lambda _: s3.download(key, down))

    def empty_cache():
        shutil.rmtree(folder / "fastcache", ignore_errors=True)

    measure(f"fast.s3.download_cached_{mib}mib", REPEATS, empty_cache, lambda _: s3.download_cached(key, down), "emptied cache")
    down.unlink(missing_ok=True)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        services = (fast_lane,) if LANE == "fast" else (s3, dynamodb, sqs, sns)
        for service in services:
            service(folder)


if __name__ == "__main__":
    sys.exit(main())
