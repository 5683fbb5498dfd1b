"""The calibration's report: Markdown for people, CSV and JSON for programs.

Every file is written to a temporary name and renamed into place, so a reader never
sees half a table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.backtest_report import _num, markdown_table
from experiments.inference import InferenceResult
from experiments.store import atomic_write_bytes
from experiments.summary import json_text


def render_markdown(result: InferenceResult, command: str) -> str:
    """The report: what ran, the posterior, the checks and the leave-one-out scores."""
    s = result.settings
    three, two = _num(3), _num(2)
    parts = [
        "# Calibration (ABC-SMC)",
        "",
        f"`{command}`",
        "",
        f"{len(s['episodes'])} episodes, {len(s['parameters'])} parameters; "
        f"{s['smc_generations']} generations of {s['population']} particles, "
        f"{s['smc_simulations']} simulations in the SMC, final tolerance "
        f"{s['tolerance']:.3f} (mean loss over the episodes); {s['simulations']} simulations "
        f"in all ({s['runs_of_the_model']} runs of the model), {s['seconds']:.0f} s "
        f"with {s['workers']} worker(s); pyabc {s['pyabc']}.",
        "",
        "## Posterior",
        "",
        posterior_table(result),
        "",
        "## Scores (mean over episodes; lower is better)",
        "",
        markdown_table(
            result.scoreboard,
            {
                "predictor": ("predictor", None),
                "brier": ("Brier", three),
                "log_score": ("log score", three),
                "package_error": ("package error", three),
                "loss": ("loss", three),
            },
        ),
        "",
        "## Posterior predictive check",
        "",
        f"Posterior predictive p-value of the number of agreements: {s['ppc_p_value']:.2f} "
        "(share of replicates with at least as many as happened).",
        "",
        markdown_table(
            result.checks,
            {
                "episode": ("episode", None),
                "observed_agreement": ("agreement happened", None),
                "p_agreement": ("P(agreement)", two),
                "p_replicate_as_observed": ("P(replicate as observed)", two),
            },
        ),
        "",
        "## Leave-one-out",
        "",
        markdown_table(
            _fold_table(result),
            {
                "held_out": ("held-out episode", None),
                "tolerance": ("tolerance", three),
                "p_agreement": ("P(agreement)", two),
                "brier": ("Brier", three),
                "package_error": ("package error", three),
                "effective_sample_size": ("effective sample size", _num(1)),
            },
        ),
    ]
    return "\n".join(parts) + "\n"


def posterior_table(result: InferenceResult) -> str:
    """The posterior's summary as a Markdown table."""
    three, two = _num(3), _num(2)
    return markdown_table(
        result.summary,
        {
            "parameter": ("parameter", None),
            "prior_low": ("prior from", two),
            "prior_high": ("to", two),
            "mean": ("mean", three),
            "sd": ("sd", three),
            "q05": ("5%", three),
            "q50": ("median", three),
            "q95": ("95%", three),
        },
    )


def _fold_table(result: InferenceResult) -> pd.DataFrame:
    from experiments.inference import LOO

    held = result.scores[result.scores["predictor"] == LOO].set_index("episode")
    folds = result.folds.set_index("held_out")
    folds["brier"] = held["brier"]
    folds["package_error"] = held["package_error"]
    return folds.reset_index()


def tables(result: InferenceResult) -> dict[str, pd.DataFrame]:
    """The result's tables by file name (without the extension)."""
    generations = result.generations.copy()
    for column in generations.columns:  # timestamps as text, for CSV and JSON alike
        if pd.api.types.is_datetime64_any_dtype(generations[column]):
            generations[column] = generations[column].astype(str)
    return {
        "posterior": result.posterior,
        "posterior-summary": result.summary,
        "generations": generations,
        "checks": result.checks,
        "folds": result.folds,
        "scores": result.scores,
        "scoreboard": result.scoreboard,
    }


def write_outputs(result: InferenceResult, out: Path, command: str) -> list[Path]:
    """Write the report, the tables and the JSON record into ``out``, each atomically."""
    files: dict[str, bytes] = {"calibration.md": render_markdown(result, command).encode()}
    for name, frame in tables(result).items():
        files[f"{name}.csv"] = frame.to_csv(index=False).encode()
    files["calibration.json"] = report_json(result, []).encode()
    paths = []
    for name, data in files.items():
        path = out / name
        atomic_write_bytes(path, data)
        paths.append(path)
    return paths


def report_json(result: InferenceResult, files: Sequence[Path]) -> str:
    """The settings and tables as strict JSON (an undefined score is null)."""
    record: dict[str, Any] = {"settings": result.settings}
    for name, frame in tables(result).items():
        record[name.replace("-", "_")] = json.loads(frame.to_json(orient="records"))
    record["files"] = [str(p) for p in files]
    return json_text(record, indent=2)


__all__ = ["posterior_table", "render_markdown", "report_json", "tables", "write_outputs"]
