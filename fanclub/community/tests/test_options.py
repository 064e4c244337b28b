from __future__ import annotations

from config.env import Env
from config.options import read_config


def test_ranking_weights_are_parsed_strictly():
    env = Env(source={"RANKING_WEIGHT_LIKE": "0.5", "RANKING_WEIGHT_TIP": "abc", "RANKING_WEIGHT_VOTE": "-1"})
    config = read_config(env)
    assert config["RANKING_WEIGHT_LIKE"] == 0.5
    assert config["RANKING_WEIGHT_COMMENT"] == 2.0  # default
    assert [p.split(":")[0] for p in env.problems if p.startswith("RANKING_")] == [
        "RANKING_WEIGHT_VOTE",
        "RANKING_WEIGHT_TIP",
    ]
    env = Env(source={"RANKING_HOT_DECAY_SECONDS": "10"})
    read_config(env)
    assert any(p.startswith("RANKING_HOT_DECAY_SECONDS") for p in env.problems)
