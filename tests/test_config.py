import pytest

from rag.config import describe, load_settings
from rag.errors import ConfigError


def test_defaults_and_env(tmp_path):
    s = load_settings(env={"RAG_THREADS": "3", "RAG_INDEX_DIR": str(tmp_path / "i")})
    assert s.generator.threads == 3
    assert s.paths.resolved_index_dir() == tmp_path / "i"
    assert s.generator.temperature == 0.0


def test_toml_overrides(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('[retrieval]\nk = 5\n[generator]\nn_ctx = 2048\n', encoding="utf-8")
    assert load_settings(env={}).retrieval.k != 5  # the file, not the default, sets it
    s = load_settings(f, env={})
    assert s.retrieval.k == 5 and s.generator.n_ctx == 2048


def test_unknown_key_is_named(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('[retrieval]\nkk = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="retrieval.kk"):
        load_settings(f, env={})


def test_unknown_section(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('[nope]\na = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[nope\]"):
        load_settings(f, env={})


def test_wrong_type_is_named(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('[retrieval]\nk = "five"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="retrieval.k must be int"):
        load_settings(f, env={})


def test_impossible_value():
    with pytest.raises(ConfigError, match="generator.n_ctx"):
        load_settings(env={}, overrides={"generator": {"n_ctx": 10}})


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "none.toml", env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[a\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, env={})


def test_every_setting_is_documented():
    rows = describe()
    assert len(rows) > 30
    assert all(doc for _, _, doc in rows)


def test_readme_settings_table_matches_the_code():
    from pathlib import Path

    from rag.config import describe

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for name, default, _doc in describe():
        if name in ("paths.data_dir", "paths.sources", "paths.prompts_dir"):
            assert f"| `{name}` | `(see doc)` |" in readme, name
        else:
            assert f"| `{name}` | `{default}` |" in readme, f"README's settings table is stale for {name}"
