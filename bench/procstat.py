"""CPU and memory of other processes, read from /proc (Linux), for the benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """Returns the user + system CPU seconds a process has used (also readable as a zombie)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def rss_mb(pid: int) -> float:
    """Returns a process's resident set size in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: int) -> list[int]:
    """Returns the pids of a process's children, grandchildren and so on."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found.append(int(child))
            found.extend(descendants(int(child)))
    return found


def wait_keeping_stat(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> float:
    """Waits for a child to exit, reads its CPU seconds before reaping it, and returns them."""
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # exited, still a zombie
    used = cpu_seconds(process.pid)
    process.wait()
    return used


def free_port() -> int:
    """Returns a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
