"""The real `fpshot` binary under test: start on a free port, wait for /healthz, stop, restart,
kill -9; and the operator's `fpshot key` commands."""

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

# Every live server registers here so a failing test can show the server logs (conftest.py).
LIVE_SERVERS = []


def fpshot_bin():
    path = os.environ.get("FPSHOT_BIN")
    if not path:
        raise RuntimeError(
            "FPSHOT_BIN is not set: run the suite through `cargo nextest run -p fpshot` "
            "(crates/cli/tests/sdk.rs sets it) or export FPSHOT_BIN=/path/to/fpshot"
        )
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"FPSHOT_BIN={path} is not an executable file")
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra=None):
    # The server reads FPSHOT_* settings: start from none of the caller's so runs are reproducible.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FPSHOT_")}
    env.setdefault("RUST_LOG", "info")
    env.update(extra or {})
    return env


class Key:
    """An AccessKey pair as `fpshot key create --json` prints it."""

    def __init__(self, key_id, secret, account_id=None):
        self.id = key_id
        self.secret = secret
        self.account_id = account_id

    def __repr__(self):
        return f"Key({self.id}, account={self.account_id})"


class Server:
    def __init__(self, data_dir, log_path, env=None, root_from_env=True, args=()):
        self.data_dir = str(data_dir)
        self.log_path = str(log_path)
        # Without a root key in the environment, fpshot generates one on first start.
        self.root = Key("LTAI" + secrets.token_hex(8), secrets.token_urlsafe(24)) if root_from_env else None
        self.extra_env = env or {}
        self.extra_args = list(args)
        self.proc = None
        self.port = None
        self._log = None

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self, port=None, timeout=60):
        last_error = None
        for _attempt in range(3):
            self.port = port or free_port()
            try:
                self._spawn(timeout)
                LIVE_SERVERS.append(self)
                return self
            except PortTaken as e:  # another process grabbed the free port between bind and spawn
                last_error = e
                port = None
        raise RuntimeError(f"fpshot could not start: {last_error}\n{self.log_tail()}")

    def _spawn(self, timeout):
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n==== fpshot serve on 127.0.0.1:{self.port} ====\n".encode())
        self._log.flush()
        root = {"FPSHOT_ACCESS_KEY_ID": self.root.id, "FPSHOT_ACCESS_KEY_SECRET": self.root.secret} if self.root else {}
        env = clean_env({**root, **self.extra_env})
        self.proc = subprocess.Popen(
            [fpshot_bin(), "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir, *self.extra_args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                self._close_log()
                tail = self.log_tail()
                if "in use" in tail.lower():
                    raise PortTaken(tail)
                raise RuntimeError(f"fpshot serve exited with {code} before /healthz answered\n{tail}")
            if self.healthz() == 200:
                return
            time.sleep(0.05)
        self.kill9()
        raise RuntimeError(f"fpshot serve: /healthz did not answer 200 within {timeout}s\n{self.log_tail()}")

    def healthz(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return None

    def stop(self, timeout=30, sig=signal.SIGTERM):
        """SIGTERM (or `sig`) and wait: a clean shutdown must exit 0."""
        if self.proc is None:
            return 0
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._forget()
            raise AssertionError(f"fpshot did not exit within {timeout}s of signal {sig}\n{self.log_tail()}")
        self._forget()
        return code

    def kill9(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._forget()

    def restart(self):
        code = self.stop()
        assert code == 0, f"fpshot exited with {code} on SIGTERM\n{self.log_tail()}"
        return self.start()

    def _forget(self):
        self.proc = None
        self._close_log()
        if self in LIVE_SERVERS:
            LIVE_SERVERS.remove(self)

    def _close_log(self):
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, max_bytes=12000):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
        except OSError:
            return "(no server log)"
        text = data[-max_bytes:].decode("utf-8", "replace")
        return f"---- {self.log_path} (last {len(text)} chars) ----\n{text}"

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    # ---- operator key commands (work while the server runs) -------------------------------

    def key_cmd(self, *args, check=True):
        cmd = [fpshot_bin(), "key", "--data-dir", self.data_dir, *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=clean_env(), stdin=subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def create_key(self, new_account=None):
        args = ["create", "--json"]
        if new_account:
            args += ["--new-account", new_account]
        out = json.loads(self.key_cmd(*args).stdout)
        return Key(out["AccessKeyId"], out["AccessKeySecret"], out["AccountId"])

    def new_account(self, name=None):
        return self.create_key(new_account=name or "acct-" + secrets.token_hex(4))

    def list_keys(self):
        return json.loads(self.key_cmd("list", "--json").stdout)

    def disable_key(self, key_id):
        self.key_cmd("disable", key_id)

    def enable_key(self, key_id):
        self.key_cmd("enable", key_id)

    def delete_key(self, key_id):
        self.key_cmd("delete", key_id)


class PortTaken(Exception):
    pass
