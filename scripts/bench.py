#!/usr/bin/env python3
"""Load benchmark of the release server, on 127.0.0.1 only.

Starts target/release/server on a free port with a fresh SQLite database,
seeds 20 setlists of 15 songs, then drives each case for a bounded time and
reports requests per second, p50/p99 latency, the server's CPU time per request
(from /proc/PID/stat before and after the case), non-2xx answers, and the
server's peak memory (VmHWM) over the whole run: as a table and one JSON line.

Every case but the `-seq` ones uses wrk: 2 threads, 32 connections (4 for
login; its floor, one bare argon2id verification, is measured by
`cargo bench -p server --bench tokens`). Refresh and PUT change state with
every answer (a new cookie, a new version), so their wrk script
(scripts/wrk/stateful.lua) gives each request an item (a refresh token, a
setlist's version) that is used exactly once, and feeds the answer's
successor back into its thread's pool.

The `-seq` cases run four Python clients that each send one request at a
time, so every request finds the server idle and pays the threads' wake-ups,
which busy connections spread thin: /healthz (the HTTP exchange alone),
/readyz (plus one SQLite round trip) and a refresh.

With BENCH_PEER=1 (`scripts/bench.sh --peer …`) the same cases run against
the Node peer instead (scripts/peer/server.js: express, jose, better-sqlite3),
so both servers are measured on one machine with one client.

Usage: scripts/bench.sh [--peer] [seconds per case] [case …]   (builds the release first)
"""

import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "target", "release", "server")
PEER = os.path.join(ROOT, "scripts", "peer", "server.js")
# The cases the peer serves: it has no /healthz, no PUT, and its login is not argon2id.
PEER_CASES = {"refresh-seq", "list", "get", "me", "refresh", "patch"}
PASSWORD = "backstage-pass-1"
TICKS = os.sysconf("SC_CLK_TCK")
WRK_THREADS = 2
WRK_SCRIPTS = os.path.join(ROOT, "scripts", "wrk")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive connection."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        return response.status, response.getheaders(), payload


def refresh_cookie(headers):
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("backstage_refresh="):
            return value.split(";")[0].split("=", 1)[1]
    return None


def login(port, username="manager"):
    status, headers, body = Client(port).call("POST", "/api/auth/login", {"username": username, "password": PASSWORD})
    assert status == 200, (status, body)
    return json.loads(body)["access_token"], refresh_cookie(headers)


def seed(port, token):
    client = Client(port)
    auth = {"Authorization": f"Bearer {token}"}
    ids = []
    for n in range(20):
        songs = [
            {"title": f"Song {n}-{i}", "artist": "The Band", "duration_secs": 180 + i, "bpm": 100 + i, "key": "E"}
            for i in range(15)
        ]
        body = {"name": f"Show {n}", "venue": "The Roxy", "show_date": f"2027-01-{n + 1:02d}", "songs": songs}
        status, _, payload = client.call("POST", "/api/setlists", body, auth)
        assert status == 201, (status, payload)
        ids.append(json.loads(payload)["id"])
    return ids


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def memory_mib(pid, field="VmHWM"):
    """VmHWM is the peak resident set so far; VmRSS the current one."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def to_ms(text):
    match = re.match(r"([\d.]+)(\w+)", text)
    if not match:
        raise ValueError(f"unexpected latency from wrk: {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(port, path, seconds, headers=(), lua=None, lua_args=(), connections=32):
    command = ["wrk", f"-t{min(WRK_THREADS, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if lua:
        command += ["-s", lua]
    command.append(f"http://127.0.0.1:{port}{path}")
    if lua_args:
        command += ["--", *lua_args]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    try:
        requests = int(re.search(r"(\d+) requests in", out).group(1))
        # Anchored to the "Latency Distribution" lines: a stdev column such
        # as "89.99%" would otherwise match "99%".
        p50, p99 = (to_ms(re.search(rf"^\s+{q}%\s+(\S+)", out, re.M).group(1)) for q in (50, 99))
    except (AttributeError, ValueError) as error:
        raise RuntimeError(f"unexpected output from wrk for {path} ({error}):\n{out}") from None
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": requests,
        "p50_ms": p50,
        "p99_ms": p99,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def run_sessions(seconds, threads, make_session, step):
    """`threads` sequential clients, each with its own state, for `seconds`."""
    latencies, failures, lock = [], [0], threading.Lock()

    def worker():
        state = make_session()
        mine, bad = [], 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            ok = step(state)
            mine.append((time.perf_counter() - started) * 1000)
            bad += 0 if ok else 1
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0
    return {"requests": len(latencies), "p50_ms": pick(0.5), "p99_ms": pick(0.99), "non_2xx": failures[0]}


@contextlib.contextmanager
def running_server(prefix="backstage-bench-"):
    """The release server on a free port with a fresh SQLite database:
    yields (port, process, data folder); stops it and deletes the folder."""
    port = free_port()
    data = tempfile.mkdtemp(prefix=prefix)
    env = dict(
        os.environ,
        LEPTOS_SITE_ADDR=f"127.0.0.1:{port}",
        DATABASE_URL=f"sqlite:{data}/bench.db",
        BACKSTAGE_ENV="development",
        RUST_LOG="warn",
    )
    command = [SERVER]
    if os.environ.get("BENCH_PEER"):
        command = ["node", PEER]
        env.update(PORT=str(port), PEER_DB=f"{data}/peer.db")
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if server.poll() is not None:
                raise RuntimeError(f"{command[-1]} exited with {server.returncode} before it was ready")
            try:
                if Client(port).call("GET", "/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        yield port, server, data
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(data, ignore_errors=True)


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with running_server() as (port, server, data):
        token, _ = login(port)
        ids = seed(port, token)
        auth = f"Authorization: Bearer {token}"

        login_lua = os.path.join(data, "login.lua")
        with open(login_lua, "w") as f:
            f.write(
                'wrk.method = "POST"\n'
                'wrk.headers["Content-Type"] = "application/json"\n'
                f'wrk.body = \'{{"username":"drummer","password":"{PASSWORD}"}}\'\n'
            )

        def sequential_sessions():
            """One logged-in session per sequential client."""
            return [login(port, "drummer")[1] for _ in range(4)]

        def refresh_session(cookies):
            return lambda: {"client": Client(port), "cookie": cookies.pop()}

        def refresh_step(state):
            status, headers, _ = state["client"].call(
                "POST", "/api/auth/refresh", headers={"Cookie": f"backstage_refresh={state['cookie']}"}
            )
            state["cookie"] = refresh_cookie(headers) or state["cookie"]
            return status == 200

        def get_session(path):
            return lambda: {"client": Client(port), "path": path}

        def get_step(state):
            return state["client"].call("GET", state["path"])[0] == 200

        def wrk_stateful(kind, items_file, headers=()):
            script = os.path.join(WRK_SCRIPTS, "stateful.lua")
            return lambda: run_wrk(
                port, "/", seconds, headers, lua=script, lua_args=(kind, items_file, str(WRK_THREADS))
            )

        def refresh_tokens():
            """Two sessions per wrk connection, one refresh token each."""
            path = os.path.join(data, "refresh-tokens")
            with open(path, "w") as f:
                f.writelines(login(port, "drummer")[1] + "\n" for _ in range(64))
            return path

        def put_setlists():
            """Two setlists per wrk connection, made just before the PUT case
            so that the list case sees only the 20 seeded ones."""
            path = os.path.join(data, "put-setlists")
            client = Client(port)
            with open(path, "w") as f:
                for _ in range(64):
                    body = {"name": f"Put {uuid.uuid4()}", "show_date": "2027-02-01", "songs": []}
                    status, _, payload = client.call("POST", "/api/setlists", body, {"Authorization": f"Bearer {token}"})
                    assert status == 201, (status, payload)
                    setlist = json.loads(payload)
                    f.write(f"{setlist['id']} {setlist['version']}\n")
            return path

        def patch_songs():
            """A wrk script that sets the tempo and notes of the 15 songs of
            one seeded setlist in turn, without a version: each patch applies."""
            _, _, payload = Client(port).call("GET", f"/api/setlists/{ids[1]}", headers={"Authorization": f"Bearer {token}"})
            paths = ",".join(f'"/api/setlists/{ids[1]}/songs/{song["id"]}"' for song in json.loads(payload)["songs"])
            script = os.path.join(data, "patch.lua")
            with open(script, "w") as f:
                f.write(
                    f"local paths = {{{paths}}}\n"
                    # wrk.format's headers replace the -H ones.
                    f"local headers = {{['Content-Type'] = 'application/json', Authorization = 'Bearer {token}'}}\n"
                    "local n = 0\n"
                    "function request()\n"
                    "  n = n + 1\n"
                    "  local body = string.format('{\"bpm\":%d,\"notes\":\"count in %d\"}', 60 + n % 100, n)\n"
                    "  return wrk.format('PATCH', paths[n % #paths + 1], headers, body)\n"
                    "end\n"
                )
            return script

        # (name, preparation run before the CPU clock starts, the case)
        cases = [
            ("healthz", None, lambda _: run_wrk(port, "/healthz", seconds)),
            # One request at a time per client, so every request wakes an idle
            # server: the HTTP exchange alone, then with one SQLite round trip,
            # then a whole refresh.
            ("healthz-seq", None, lambda _: run_sessions(seconds, 4, get_session("/healthz"), get_step)),
            ("readyz-seq", None, lambda _: run_sessions(seconds, 4, get_session("/readyz"), get_step)),
            (
                "refresh-seq",
                sequential_sessions,
                lambda cookies: run_sessions(seconds, 4, refresh_session(cookies), refresh_step),
            ),
            ("list", None, lambda _: run_wrk(port, "/api/setlists", seconds, [auth])),
            ("get", None, lambda _: run_wrk(port, f"/api/setlists/{ids[0]}", seconds, [auth])),
            ("me", None, lambda _: run_wrk(port, "/api/me", seconds, [auth])),
            ("login", None, lambda _: run_wrk(port, "/api/auth/login", seconds, lua=login_lua, connections=4)),
            ("refresh", refresh_tokens, lambda tokens: wrk_stateful("refresh", tokens)()),
            ("put", put_setlists, lambda setlists: wrk_stateful("put", setlists, [auth])()),
            ("patch", patch_songs, lambda script: run_wrk(port, "/", seconds, lua=script)),
        ]
        results = {}
        only = set(sys.argv[2:])
        for name, prepare, run in cases:
            if only and name not in only:
                continue
            if os.environ.get("BENCH_PEER") and name not in PEER_CASES:
                print(f"{name}: not a case the peer serves, skipped", file=sys.stderr)
                continue
            prepared = prepare() if prepare else None
            before = cpu_seconds(server.pid)
            started = time.monotonic()
            result = run(prepared)
            elapsed = time.monotonic() - started
            cpu = cpu_seconds(server.pid) - before
            result["rps"] = result["requests"] / elapsed
            result["cpu_ms_per_request"] = cpu * 1000 / max(result["requests"], 1)
            result["peak_rss_mib_so_far"] = memory_mib(server.pid)
            results[name] = result
        peak = memory_mib(server.pid)

    print(f"{'case':<11} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11} {'non-2xx':>8} {'peak MiB':>9}")
    for name, r in results.items():
        print(
            f"{name:<11} {r['rps']:>9.0f} {r['p50_ms']:>8.3f} {r['p99_ms']:>8.3f} "
            f"{r['cpu_ms_per_request']:>11.4f} {r['non_2xx']:>8} {r['peak_rss_mib_so_far']:>9.1f}"
        )
    print(f"peak server memory (VmHWM): {peak:.1f} MiB")
    print(json.dumps({"seconds_per_case": seconds, "peak_rss_mib": round(peak, 1), "cases": results}))


if __name__ == "__main__":
    main()
