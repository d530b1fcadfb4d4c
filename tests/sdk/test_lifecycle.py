"""The server's life: first start without a root key, shutdown signals, settings from a TOML file
and FPSHOT_* variables (issue 2, point 1)."""

from expect import expect_error
from harness_clients import make_client
from harness_server import Key


def search(c):
    return c.call("SearchPipeline", {"PageSize": 100}).body


# ---- first start without a root key; shutdown signals ------------------------------------------


def test_first_start_generates_a_root_key_once(tmp_path):
    """Empty data dir, no FPSHOT_ACCESS_KEY_*: a root key is generated, saved with mode 0600,
    printed once (stdout, not the log lines), and kept across restarts."""
    import json
    import os
    import stat

    from harness_server import Server

    srv = Server(tmp_path / "data", tmp_path / "fpshot.log", root_from_env=False).start()
    try:
        path = os.path.join(srv.data_dir, "root-access-key.json")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode)
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
        root = Key(saved["AccessKeyId"], saved["AccessKeySecret"])
        with open(srv.log_path, encoding="utf-8", errors="replace") as f:
            printed = f.read()
        assert root.id in printed and root.secret in printed, "the generated key is printed for the operator"
        for family in ("sdk6_v3", "old_post"):
            assert "TotalCount" in search(make_client(family, srv.endpoint, root))
        srv.restart()
        with open(srv.log_path, encoding="utf-8", errors="replace") as f:
            assert f.read().count(root.secret) == 1, "printed once: not again on restart"
        assert "TotalCount" in search(make_client("sdk6_v1", srv.endpoint, root))
    finally:
        code = srv.stop()
    assert code == 0


def test_sigint_shuts_down_cleanly(own_server):
    import signal

    key = own_server.new_account()
    search(make_client("sdk6_v3", own_server.endpoint, key))
    assert own_server.stop(sig=signal.SIGINT) == 0


# ---- settings: TOML file, overridden by FPSHOT_* ---------------------------------------------


def test_settings_from_toml_file_overridden_by_environment(tmp_path):
    """`serve --config FILE` reads TOML settings; FPSHOT_* variables win over the file."""
    from harness_server import Server
    from harness_sign import http_send

    cfg = tmp_path / "fpshot.toml"
    cfg.write_text('fpdb_quota = 2\nhost_id = "mts.from-file"\nbody_limit_bytes = 4096\n')
    srv = Server(tmp_path / "data", tmp_path / "fpshot.log", env={"FPSHOT_FPDB_QUOTA": "3"}, args=["--config", str(cfg)])
    srv.start()
    try:
        c = make_client("old_post", srv.endpoint, srv.new_account())
        for i in range(3):
            c.call("CreateFpShotDB", {"Name": f"lib{i}"})
        expect_error(lambda: c.call("CreateFpShotDB", {"Name": "one too many"}), "QuotaExceeded.FpDB", 400)
        resp = http_send(srv.port, "POST", "/?Action=SearchPipeline&Version=2014-06-18&Format=JSON", b"x=" + b"a" * 8192)
        assert resp.status == 413, resp
        body = resp.json()
        assert body["HostId"] == "mts.from-file", body
    finally:
        code = srv.stop()
    assert code == 0


def test_bad_settings_file_is_refused_at_start(tmp_path):
    import subprocess

    from harness_server import clean_env, fpshot_bin

    cfg = tmp_path / "bad.toml"
    cfg.write_text("no_such_setting = 1\n")
    r = subprocess.run(
        [fpshot_bin(), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "d"), "--config", str(cfg)],
        capture_output=True, text=True, timeout=60, env=clean_env(), stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert r.returncode != 0, "an unknown setting must stop the server from starting"
    assert "bad.toml" in r.stdout + r.stderr, r.stderr
    assert "panicked" not in r.stderr, r.stderr
