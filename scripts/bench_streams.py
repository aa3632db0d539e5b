#!/usr/bin/env python3
"""Live events at scale: 1,000 open `GET /api/events` streams on one instance.

Starts the release server (SQLite, fresh database), creates 125 members (the
server allows 8 streams a member), opens 8 streams for each, and reports:

- memory per idle stream: the server's resident memory (VmRSS) after every
  stream has its `ready` event, minus before, over the number of streams;
- fan-out latency: for each of WRITES tempo patches, from the moment the
  PATCH's answer arrived (the write is acknowledged) to the moment each of
  the 1,000 streams received its event — p50, p99 and the slowest.

One asyncio client reads all 1,000 sockets, so its own work (parsing 1,000
events per write, on the same 2 cores as the server) is part of the figures.

Usage: python3 scripts/bench_streams.py [streams, default 1000]
(scripts/bench.sh builds the release first and runs this after bench.py.)
"""

import asyncio
import json
import sys
import time

from bench import PASSWORD, Client, login, memory_mib, running_server

STREAMS_PER_MEMBER = 8
WRITES = 40


async def open_stream(port, token):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            "GET /api/events HTTP/1.1\r\nHost: bench\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    status = await reader.readline()
    assert b" 200 " in status, status
    while (await reader.readline()) not in (b"\r\n", b""):
        pass  # headers
    return reader, writer


async def read_events(reader, seen, ready):
    """Records when each event id arrived; sets `ready` at the first event."""
    buffer = b""
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return
        now = time.monotonic()
        buffer += chunk
        for line in buffer.split(b"\n"):
            if line.startswith(b"id:"):
                seen[int(line[3:].strip())] = now
        buffer = buffer[buffer.rfind(b"\n") + 1 :]
        ready.set()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(port, streams):
    manager, _ = login(port, "manager")
    auth = {"Authorization": f"Bearer {manager}"}
    client = Client(port)
    members = (streams + STREAMS_PER_MEMBER - 1) // STREAMS_PER_MEMBER
    tokens = []
    for n in range(members):
        username = f"listener{n}"
        body = {"username": username, "display_name": f"Listener {n}", "role": "drummer", "password": PASSWORD}
        status, _, payload = client.call("POST", "/api/users", body, auth)
        assert status == 201, (status, payload)
        tokens.append(login(port, username)[0])
    body = {"name": "Fan-out", "show_date": "2027-03-01", "songs": [{"title": "Everlong", "duration_secs": 250}]}
    status, _, payload = client.call("POST", "/api/setlists", body, auth)
    assert status == 201, (status, payload)
    setlist = json.loads(payload)
    patch_path = f"/api/setlists/{setlist['id']}/songs/{setlist['songs'][0]['id']}"

    before = memory_mib(server_pid, "VmRSS")
    connections, readers, clocks = [], [], []
    for i in range(streams):
        reader, writer = await open_stream(port, tokens[i // STREAMS_PER_MEMBER])
        seen, ready = {}, asyncio.Event()
        connections.append(writer)
        clocks.append(seen)
        readers.append(asyncio.create_task(read_events(reader, seen, ready)))
        await ready.wait()
    await asyncio.sleep(1)
    after = memory_mib(server_pid, "VmRSS")

    latencies = []
    for write in range(WRITES):
        last = max(max(seen) for seen in clocks)
        status, _, payload = await asyncio.to_thread(client.call, "PATCH", patch_path, {"bpm": 100 + write}, auth)
        acknowledged = time.monotonic()
        assert status == 200, (status, payload)
        deadline = acknowledged + 10
        while any(max(seen) <= last for seen in clocks) and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        missing = sum(1 for seen in clocks if max(seen) <= last)
        assert missing == 0, f"write {write}: {missing} streams got no event within 10 s"
        # The event's id is the next value of the change counter.
        latencies += [max(0.0, seen[last + 1] - acknowledged) * 1000 for seen in clocks]
        await asyncio.sleep(0.05)

    for task in readers:
        task.cancel()
    for writer in connections:
        writer.close()
    return {
        "streams": streams,
        "rss_before_mib": round(before, 1),
        "rss_after_mib": round(after, 1),
        "kib_per_stream": round((after - before) * 1024 / streams, 1),
        "writes": WRITES,
        "fan_out_p50_ms": round(percentile(latencies, 0.50), 2),
        "fan_out_p99_ms": round(percentile(latencies, 0.99), 2),
        "fan_out_max_ms": round(max(latencies), 2),
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with running_server("backstage-streams-") as (port, server, _):
        server_pid = server.pid
        result = asyncio.run(measure(port, count))
    print(
        f"{result['streams']} streams: {result['kib_per_stream']} KiB per idle stream "
        f"(RSS {result['rss_before_mib']} → {result['rss_after_mib']} MiB); fan-out over {result['writes']} "
        f"writes: p50 {result['fan_out_p50_ms']} ms, p99 {result['fan_out_p99_ms']} ms, "
        f"slowest {result['fan_out_max_ms']} ms"
    )
    print(json.dumps(result))
