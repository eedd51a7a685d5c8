"""The five regular reports of the life-science article (docs/reports.md): sales cycle, pipeline,
forecast, conversion and next steps (the last one is `tasks.iter_next_steps`).

Each report is one function taking a session and the options as typed, returning the plain dict that
`--json` prints. Every figure is aggregated in SQL, and every past state is rebuilt from the
append-only stage history (`stage_change`): the stage a deal was in at a time is the `to_stage` of its
last change made before that time. So a report run today for last quarter gives the figures that held
then. Amounts, close dates, owners and classes are today's values (their history is not kept).

Dates are typed as YYYY-MM-DD and mean local days (the project's rule for typed times): `--at D` is the
state at the end of day D; `--since D` starts at the beginning of D; `--until D` ends with the end of D.
Durations and percentiles are computed from counts of durations in hundredths of a day grouped in SQL
(a histogram), so no report holds one number per deal, let alone one row per deal.
"""

from salescrm.domain.reports.common import Window, parse_at, today, window
from salescrm.domain.reports.conversion import CONVERSION_PHASES, conversion_report
from salescrm.domain.reports.cycle import CYCLE_PHASES, WON_AT, Durations, cycle_report, parse_won_at
from salescrm.domain.reports.forecast import FORECAST_PHASES, forecast_report
from salescrm.domain.reports.pipeline import CHANGE_KINDS, Rows, pipeline_phases, pipeline_report

__all__ = [
    "CHANGE_KINDS", "CONVERSION_PHASES", "CYCLE_PHASES", "FORECAST_PHASES", "WON_AT", "Durations", "Rows", "Window",
    "conversion_report", "cycle_report", "forecast_report", "parse_at", "parse_won_at", "pipeline_phases",
    "pipeline_report", "today", "window",
]
