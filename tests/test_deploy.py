"""What starting the app does on the network and where it says to open it: no usage statistics, no
external-address lookup, «http://localhost:8501» printed (the app's .streamlit/config.toml, as
Streamlit 1.67 reads it)."""

import pytest


def test_start_calls_nobody_and_names_the_local_address(monkeypatch, capsys):
    from streamlit import config, net_util
    from streamlit.web import bootstrap

    config.get_config_options(force_reparse=True)
    assert config.get_option("browser.gatherUsageStats") is False
    assert config.get_option("server.headless") is True  # headless is when Streamlit looks its address up

    def called(*args, **kwargs):
        pytest.fail("the external address was looked up (a call to checkip.amazonaws.com)")

    monkeypatch.setattr(net_util, "get_external_ip", called)
    monkeypatch.setattr(net_util, "_make_blocking_http_get", called)
    monkeypatch.setattr(config, "get_option", lambda key, _get=config.get_option: 8501 if key == "server.port"
                        else _get(key))
    bootstrap._print_url(False)
    printed = capsys.readouterr().out
    assert "http://localhost:8501" in printed and "External URL" not in printed
