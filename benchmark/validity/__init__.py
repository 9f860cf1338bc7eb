"""Validity of the judge, measured: DOM-probe ground truth, mechanical mutants, planted
defects, and the judge's verdicts on them with and without ground_truth.json."""

from .dom_probe import DomTrace, first_difference, first_pixel_difference, probe_app
from .measure import AppReport, ExtraPage, Judged, PageReport, ValidityApp, measure_app, validity_judge_config
from .mutants import Mutant, MutantError, all_mutants, apply_mutant, select_mutants, unapply_mutant
from .outcome import Outcome, classify, judged_step
from .variants import PlantedDefect, load_defects, official_copy

__all__ = [
    "AppReport", "DomTrace", "ExtraPage", "Judged", "Mutant", "MutantError", "Outcome", "PageReport",
    "PlantedDefect", "ValidityApp", "all_mutants", "apply_mutant", "classify", "first_difference",
    "first_pixel_difference", "judged_step", "load_defects", "measure_app", "official_copy", "probe_app",
    "select_mutants", "unapply_mutant", "validity_judge_config",
]
