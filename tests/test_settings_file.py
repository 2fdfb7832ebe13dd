"""The settings file in the data folder: defaults < settings.toml < REHEARSE_* environment."""

import tomllib

import pytest

from rehearse import settings as config
from rehearse.errors import ConfigError
from rehearse.settings import DEFAULT_FILLERS, DEFAULT_HEDGES, load_settings


def test_file_overrides_defaults_and_environment_overrides_the_file(tmp_path):
    path = tmp_path / "settings.toml"
    config.write_settings_file(
        path,
        {
            "fillers": ["Um", "  you   KNOW ", "um", "right"],
            "wpm_low": 120,
            "long_pause_seconds": 3,
            "hedges": ["I reckon"],
        },
    )
    s = load_settings({"REHEARSE_HOME": str(tmp_path)})
    assert s.fillers == ("um", "you know", "right")  # lowercased, single-spaced, no repeats
    assert (s.wpm_low, s.wpm_high, s.long_pause_seconds, s.hedges) == (120.0, 160.0, 3.0, ("i reckon",))
    assert s.stock_phrases == config.DEFAULT_STOCK_PHRASES  # what the file leaves out stays default
    env = load_settings({"REHEARSE_HOME": str(tmp_path), "REHEARSE_FILLERS": "er", "REHEARSE_WPM_LOW": "100"})
    assert (env.fillers, env.wpm_low, env.long_pause_seconds) == (("er",), 100.0, 3.0)
    assert config.env_overrides({"REHEARSE_FILLERS": "er", "REHEARSE_WPM_LOW": "100"}) == {
        "fillers": "REHEARSE_FILLERS",
        "wpm_low": "REHEARSE_WPM_LOW",
    }
    # The page edits what is saved, never the environment's values.
    assert config.saved_values(tmp_path)["fillers"] == ("um", "you know", "right")


def test_model_and_live_capture_are_saved_and_the_environment_still_wins(tmp_path):
    path = tmp_path / "settings.toml"
    config.write_settings_file(path, {"model": " base ", "live_capture": False})
    assert tomllib.loads(path.read_text()) == {"model": "base", "live_capture": False}
    s = load_settings({"REHEARSE_HOME": str(tmp_path)})
    assert (s.model, s.live_capture) == ("base", False)
    env = load_settings({"REHEARSE_HOME": str(tmp_path), "REHEARSE_MODEL": "/models/x", "REHEARSE_LIVE": "1"})
    assert (env.model, env.live_capture) == ("/models/x", True)
    assert config.saved_values(tmp_path)["model"] == "base"
    assert load_settings({"REHEARSE_HOME": str(tmp_path / "none")}).live_capture  # on by default


def test_written_file_is_valid_toml_for_any_phrase(tmp_path):
    path = tmp_path / "settings.toml"
    odd = ['say "so"', "back\\slash", "naïve", "emoji 🙂", "tab\there"]
    config.write_settings_file(path, {**config.default_values(), "stock_phrases": odd})
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["stock_phrases"] == ['say "so"', "back\\slash", "naïve", "emoji 🙂", "tab here"]
    assert data["fillers"] == list(DEFAULT_FILLERS) and data["hedges"] == list(DEFAULT_HEDGES)
    assert config.saved_values(tmp_path) == {**config.default_values(), "stock_phrases": tuple(data["stock_phrases"])}


@pytest.mark.parametrize(
    "content, message",
    [
        ("fillers = [", "not valid TOML"),
        ('colour = "red"', "unknown key(s) colour; valid keys are fillers"),
        ('fillers = "um"', "fillers must be a list of words or phrases"),
        ("wpm_low = -3", "wpm_low must be a number above 0"),
        ("wpm_low = 170", "wpm_low 170 must be below wpm_high 160"),
        ("model = 3", "model must be text (tiny.en, base, a model directory or a model name)"),
        ('live_capture = "yes"', "live_capture must be true or false"),
    ],
)
def test_broken_file_names_the_file_and_the_key(tmp_path, content, message):
    path = tmp_path / "settings.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match="settings.toml") as err:
        load_settings({"REHEARSE_HOME": str(tmp_path)})
    assert message in str(err.value)


def test_writing_bad_values_changes_nothing_and_set_aside_keeps_the_old_file(tmp_path):
    path = tmp_path / "settings.toml"
    config.write_settings_file(path, {"wpm_low": 110})
    with pytest.raises(ConfigError, match="wpm_low .* must be below wpm_high"):
        config.write_settings_file(path, {"wpm_low": 200, "wpm_high": 150})
    assert load_settings({"REHEARSE_HOME": str(tmp_path)}).wpm_low == 110
    path.write_text("fillers = [")
    aside = config.set_aside(path)
    assert not path.exists() and aside.read_text() == "fillers = [" and aside.name.startswith("settings.toml.broken-")
    assert load_settings({"REHEARSE_HOME": str(tmp_path)}).fillers == DEFAULT_FILLERS


def test_environment_pace_band_must_not_be_empty(tmp_path):
    with pytest.raises(ConfigError, match="pace band is empty"):
        load_settings({"REHEARSE_HOME": str(tmp_path), "REHEARSE_WPM_LOW": "170"})


def test_phrases_typed_one_per_line_or_with_commas():
    assert config.phrases_from_text("um\n you know, i mean \n\n,basically") == ["um", "you know", "i mean", "basically"]


def test_form_problems_list_every_problem_in_the_page_words():
    problems = config.form_problems(
        {"fillers": ["um", 3], "wpm_low": 170.0, "wpm_high": 160.0, "long_pause_seconds": -1.0, "live_capture": True}
    )
    assert problems == [
        "Fillers (always counted): one word or phrase per line.",
        "Long pause (seconds): must be a number above 0.",
        "“Slowest good pace (words/min)” (170) must be below “Fastest good pace (words/min)” (160).",
    ]
    assert config.form_problems(config.default_values()) == []


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "NaN", "infinity"])
@pytest.mark.parametrize(
    "name", ["REHEARSE_WPM_LOW", "REHEARSE_LONG_PAUSE", "REHEARSE_MAX_ANSWER_SECONDS", "REHEARSE_STOP_SILENCE"]
)
def test_environment_nan_and_inf_are_refused_with_the_variable_name(tmp_path, name, raw):
    # nan passes every `<=` limit check (all comparisons are False), so it used to be accepted.
    with pytest.raises(ConfigError, match=f"{name}=.* is not a finite number"):
        load_settings({"REHEARSE_HOME": str(tmp_path), name: raw})


@pytest.mark.parametrize("value", ["nan", "inf", "+inf"])
@pytest.mark.parametrize("key", ["wpm_low", "wpm_high", "long_pause_seconds"])
def test_settings_file_nan_and_inf_are_refused_with_the_key(tmp_path, key, value):
    (tmp_path / "settings.toml").write_text(f"{key} = {value}\n")  # valid TOML floats
    with pytest.raises(ConfigError, match=f"settings.toml: {key} must be a number above 0"):
        load_settings({"REHEARSE_HOME": str(tmp_path)})
