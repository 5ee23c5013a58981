"""A thin, typed door to the HiGHS MILP solver: a sparse model in, a solution and its bound out.

The formulations (:mod:`geohealth.siting.problems`) build the constraint matrix with numpy and
scipy in one go; passing it whole to HiGHS (``passModel``) avoids the per-term cost of a
modelling layer, which dominates on instances with 10⁵ demand rows.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy.sparse import csc_matrix

from geohealth.errors import GeohealthError

log = logging.getLogger(__name__)


class SolverError(GeohealthError):
    """The solver stopped without a usable solution."""


@dataclass(frozen=True)
class Model:
    """``min/max c·x  s.t.  row_lower ≤ A x ≤ row_upper,  lower ≤ x ≤ upper``, some x integer.

    Attributes
    ----------
    cost
        Objective coefficient per variable.
    matrix
        Constraint matrix (rows × variables).
    row_lower, row_upper
        Row bounds (``±inf`` for none).
    lower, upper
        Variable bounds.
    integer
        True for integer variables (binaries: integer with bounds 0–1).
    maximize
        Maximise instead of minimise.
    offset
        Constant added to the objective (so the solver's progress shows the whole value).
    """

    cost: np.ndarray
    matrix: csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    maximize: bool = False
    offset: float = 0.0


@dataclass(frozen=True)
class Solution:
    """What HiGHS found.

    Attributes
    ----------
    x
        Variable values.
    objective
        Objective of ``x``.
    bound
        Best proven bound on the optimum (equal to ``objective`` when proven optimal).
    gap
        Relative gap ``|objective − bound| / max(|objective|, 1e-10)``; 0 at proven optimality.
    status
        HiGHS's model status, as text (``"Optimal"``, ``"Time limit reached"``, …).
    seconds
        Solver wall time.
    """

    x: np.ndarray
    objective: float
    bound: float
    gap: float
    status: str
    seconds: float

    @property
    def optimal(self) -> bool:
        """True when HiGHS proved the solution optimal (within its gap tolerance)."""
        return self.status == "Optimal"


#: Seconds between the solver's progress lines.
PROGRESS_S = 2.0


def _highs() -> highspy.Highs:
    """Return a quiet HiGHS: its banner and log go to the debug log, never the terminal.

    highspy prints its banner while the object is made (before any option can be set), so
    standard output is pointed at the null device for that moment.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    if log.isEnabledFor(logging.DEBUG):
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", False)
        h.cbLogging.subscribe(lambda event: log.debug("HiGHS: %s", event.message.rstrip()))
    return h


def _progress(h: highspy.Highs, label: str) -> None:
    """Log elapsed time, incumbent, bound and gap every ``PROGRESS_S`` seconds of a MILP."""
    last = [time.perf_counter()]

    def report(event: object) -> None:
        now = time.perf_counter()
        if now - last[0] < PROGRESS_S:
            return
        last[0] = now
        out = event.data_out  # type: ignore[attr-defined]
        best = float(out.objective_function_value)
        log.info(
            "%s: %.0f s, best %s, bound %s, gap %s",
            label,
            float(out.running_time),
            f"{best:,.6g}" if abs(best) < 1e300 else "—",
            f"{float(out.mip_dual_bound):,.6g}",
            f"{float(out.mip_gap):.2%}" if abs(best) < 1e300 else "—",
        )

    h.cbMipInterrupt.subscribe(report)


def solve(
    model: Model,
    *,
    time_limit_s: float = 600.0,
    gap: float = 0.0,
    start: np.ndarray | None = None,
    label: str = "solver",
) -> Solution:
    """Solve a MILP with HiGHS, logging its progress every few seconds.

    Parameters
    ----------
    model
        The model.
    time_limit_s
        Stop after this many seconds with the best solution found (and its bound).
    gap
        Accept a solution within this relative gap of the bound (0: prove optimality).
    start
        A feasible solution to start from (every variable's value), or None.
    label
        What the progress lines name.

    Returns
    -------
    Solution
        Values, objective, bound and gap.

    Raises
    ------
    SolverError
        If the model is infeasible or no solution was found in time.
    """
    n = len(model.cost)
    matrix = csc_matrix(model.matrix)
    matrix.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = np.asarray(model.cost, dtype=float)
    lp.offset_ = float(model.offset)
    lp.col_lower_ = np.asarray(model.lower, dtype=float)
    lp.col_upper_ = np.asarray(model.upper, dtype=float)
    lp.row_lower_ = np.asarray(model.row_lower, dtype=float)
    lp.row_upper_ = np.asarray(model.row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
        for flag in model.integer
    ]
    lp.sense_ = highspy.ObjSense.kMaximize if model.maximize else highspy.ObjSense.kMinimize
    h = _highs()
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(gap))
    h.passModel(lp)
    if model.integer.any():
        _progress(h, label)
    if start is not None:
        first = highspy.HighsSolution()
        first.col_value = np.asarray(start, dtype=float).tolist()
        first.value_valid = True
        h.setSolution(first)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    if status == "Infeasible":
        msg = "the siting problem has no solution under its constraints"
        raise SolverError(msg)
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible
        msg = f"HiGHS found no solution ({status}) — raise the time limit or relax the problem"
        raise SolverError(msg)
    x = np.asarray(h.getSolution().col_value)
    objective = float(info.objective_function_value)
    integer = np.asarray(model.integer, dtype=bool)
    if integer.any():
        bound = float(info.mip_dual_bound)
        gap_value = (
            float(info.mip_gap)
            if status != "Optimal"
            else abs(objective - bound) / max(abs(objective), 1e-10)
        )
    else:
        bound, gap_value = objective, 0.0
    log.debug(
        "HiGHS: %s, objective %.6g, bound %.6g, %.3f s", status, objective, bound, h.getRunTime()
    )
    return Solution(
        x=x,
        objective=objective,
        bound=bound,
        gap=gap_value,
        status=status,
        seconds=float(h.getRunTime()),
    )
