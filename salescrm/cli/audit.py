"""`salescrm audit`: the data checked against the rules of the process, safe fixes, and the self-assessment."""

from __future__ import annotations

import itertools
import sys
from typing import List, Optional

import typer

from salescrm.cli import output
from salescrm.cli.runtime import MAX_LIMIT, Needs, pipeline_option, reason_option, runtime

app = typer.Typer(
    epilog="Example: salescrm audit --json > audit.json || mail -s 'CRM audit' sales@example.com < audit.json",
    invoke_without_command=True,
)

CHECK_HELP = ("Only this check (repeatable): deal-name, stage-gate, duplicate-company, local-branch, legal-name, "
              "duplicate-contact, missing-field, orphan, owner-role, stale-deal, overdue-close, no-next-step, unknown-value.")
FAIL_ON = ("error", "warning", "never")
TERMINAL_FINDINGS = 100  # a terminal shows this many findings unless --limit says otherwise


@app.callback(invoke_without_command=True)
def audit(
    ctx: typer.Context,
    check: List[str] = typer.Option([], "--check", metavar="ID", help=CHECK_HELP),
    owner: Optional[str] = typer.Option(None, "--owner", help="Only the deals of this team member."),
    fail_on: str = typer.Option("error", "--fail-on", metavar="error|warning|never",
                                help="Exit 1 when a finding of this severity (or worse) is found; never: always 0."),
    stale_days: int = typer.Option(30, "--stale-days", min=0, max=36525,
                                   help="stale-deal: days without an activity or a stage change (at most 100 years)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=0, max=MAX_LIMIT, help="Show at most this many findings (0: all); "
                                        f"a terminal shows {TERMINAL_FINDINGS} unless told."),
    pipeline: Optional[str] = pipeline_option(),
    json: bool = typer.Option(False, "--json", help="Print {score, summary, by_owner, findings} as JSON on stdout "
                              "(and `pipelines`, each pipeline's deals and findings, where the process has several)."),
) -> None:
    """Check every record against the rules of the process and report the findings; changes nothing."""
    if ctx.invoked_subcommand is not None:
        return
    if fail_on not in FAIL_ON:
        from salescrm.errors import InvalidValue

        raise InvalidValue(f"--fail-on '{fail_on}': choose error, warning or never.")
    from salescrm.domain import audit as checks

    with runtime(ctx).reading() as session:
        with output.progress("Auditing", checks.PHASES, shown=not json) as done:
            result = checks.run_audit(session, checks=check, owner=owner, stale_days=stale_days, progress=done,
                                      pipeline=pipeline)
        if json:
            _print_json(result)
        else:
            _print_text(result, limit)
    severities = result.severities()
    if (fail_on == "error" and severities.get(checks.ERROR)) or (fail_on == "warning" and sum(severities.values())):
        raise typer.Exit(1)


def _print_json(result) -> None:
    out = sys.stdout
    head = {"score": result.score, "summary": result.summary_rows(), "by_owner": result.owner_rows()}
    pipelines = result.pipeline_rows()
    if pipelines is not None:  # a process with several pipelines: each one's deals and the findings on them
        head["pipelines"] = pipelines
    out.write(output.json_text(head, indent=2)[:-2] + ',\n  "findings": ')
    output.print_json_array(f.as_json() for f in result.findings())
    out.write("}\n")


def _print_text(result, limit: int | None) -> None:
    severities = result.severities()
    output.say(f"Data-quality score {result.score:.2f} (share of companies, contacts and deals with no finding); "
               f"{severities.get('error', 0)} errors, {severities.get('warning', 0)} warnings.")
    output.table(["Check", "Severity", ("Findings", output.COUNT)],
                 [(r["check"], r["severity"], r["count"]) for r in result.summary_rows()],
                 title="Findings per check", section="summary")
    output.table([("Owner", output.NAME), ("Records", output.COUNT), ("Findings", output.COUNT)],
                 [(r["owner"] or "(no owner)", r["records"], r["findings"]) for r in result.owner_rows()],
                 title="Per owner", section="owners")
    pipelines = result.pipeline_rows()
    if pipelines is not None:
        output.table([("Pipeline", output.NAME), ("Deals", output.COUNT), ("Findings", output.COUNT)],
                     [(r["label"], r["deals"], r["findings"]) for r in pipelines], title="Per pipeline", section="pipelines")
    shown = limit if limit else (TERMINAL_FINDINGS if output.is_terminal() and limit is None else None)
    total = sum(result.summary.values())
    if total == 0:
        output.say("No findings.")
        return
    found = list(itertools.islice(result.findings(), shown))
    output.heading("Findings", "findings")
    if not output.is_terminal():  # a script reads each finding's fix on its line
        output.table(["Severity", "Check", "Owner", "What is wrong", "Fix"],
                     [(f.severity, f.check, f.owner or "", f.message, f.fix or "") for f in found])
    else:
        _print_findings(found)
    if shown is not None and total > shown:
        sys.stderr.write(f"({shown} of {total} findings shown; --limit 0 shows all, --check ID one check)\n")


def _print_findings(found) -> None:
    """The findings fitted to the terminal, numbered; under them each fix command whole on its line (to
    copy), followed by the numbers of the findings it fixes."""
    output.table([("#", output.ID), "Severity", "Check", ("Owner", output.NAME), ("What is wrong", output.TEXT)],
                 [(n, f.severity, f.check, f.owner or "", f.message) for n, f in enumerate(found, start=1)])
    fixes: dict[str, list[int]] = {}
    for n, f in enumerate(found, start=1):
        if f.fix:
            fixes.setdefault(f.fix, []).append(n)
    if fixes:
        output.heading("To fix them", "fixes")
        output.lines(f"{command}   # {', '.join(map(str, numbers))}" for command, numbers in fixes.items())


@app.command("fix", epilog="Example: salescrm audit fix --yes --reason 'Names imported from the old CRM'")
def fix(
    ctx: typer.Context,
    yes: bool = typer.Option(False, "--yes", help="Apply without asking (needed off a terminal)."),
    json: bool = typer.Option(False, "--json", help="Print the renamed deals as a JSON array on stdout (each as `deal show --json`, without its timeline); "
                              "the proposed renames go to stderr."),
    reason: Optional[str] = reason_option(),
) -> None:
    """Apply the audit's safe fixes: rename deals to the SP-009-001 convention (the `Lost ` prefix included)."""
    from salescrm.domain import audit as checks

    rt = runtime(ctx)
    with rt.reading(create=True) as session:
        renames = checks.proposed_renames(session)
    if not renames:
        if json:
            output.print_json([])
            return
        output.say("Nothing to fix: every deal name follows the convention.")
        return
    for r in renames:
        line = f"Deal {r.deal_id}: '{r.old}' -> '{r.new}'"
        if json:
            output.err(line)
        else:
            output.say(line)
    if not yes:
        if not rt.can_prompt():
            from salescrm.errors import InvalidValue

            raise InvalidValue(f"{len(renames)} renames proposed and none applied: pass --yes to apply them off a terminal.")
        if not rt.ask().confirm(f"Rename these {len(renames)} deals?", default=False):
            if json:
                output.print_json([])
                return
            output.say("Nothing changed.")
            return
    with rt.writing(reason or "salescrm audit fix: SP-009-001 deal naming") as session:
        done = checks.apply_renames(session, renames)
        objects = [_deal_object(session, r.deal_id) for r in done] if json else None
    if json:
        output.print_json(objects)
        return
    output.say(f"Renamed {len(done)} deal{'s' if len(done) != 1 else ''}.")


def _deal_object(session, deal_id: int) -> dict:
    from salescrm.domain import views
    from salescrm.store.models import Deal

    return views.deal_object(session, session.get(Deal, deal_id))


@app.command("survey", epilog="Example: salescrm audit survey --scores 5,6,4,7 --reports cycle,pipeline")
def survey(
    ctx: typer.Context,
    scores: Optional[str] = typer.Option(None, "--scores", metavar="Q1,Q2,Q3,Q4",
                                         help="The four answers, 1 to 7: capture, qualifying defined, qualifying understood, clean data."),
    reports: Optional[str] = typer.Option(None, "--reports", metavar="IDS",
                                          help="The regular reports the team runs: cycle, pipeline, forecast, conversion, next-steps (or none)."),
    history: bool = typer.Option(False, "--history", help="Show every answer set so far, oldest first, instead of answering."),
    json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
    reason: Optional[str] = reason_option(),
) -> None:
    """The life-science article's CRM self-assessment: four 1-7 questions and the five reports, scored 4-33."""
    from salescrm.domain import audit as checks

    rt = runtime(ctx)
    if history:
        with rt.reading() as session:
            answers = checks.survey_history(session)
        if json:
            output.print_json(answers)
            return
        output.table([("Date", output.DATE), ("By", output.NAME), ("Score", output.COUNT), ("", output.BAR),
                      ("Verdict", output.TEXT)],
                     [(output.when(a["at"])[:10], a["by"], a["score"], "█" * a["score"], a["verdict"]) for a in answers])
        return
    needs = Needs()
    if scores is None:
        needs.add("the four 1-7 answers", "--scores", _ask_scores)
    if reports is None:
        needs.add("the reports the team runs", "--reports", _ask_reports)
    answers = needs.resolve(rt)
    parsed_scores = checks.parse_scores(answers.get("--scores", scores))
    parsed_reports = checks.parse_reports(answers.get("--reports", reports))
    with rt.writing(reason) as session:
        obj = checks.survey_object(checks.record_survey(session, parsed_scores, parsed_reports))
    if json:
        output.print_json(obj)
        return
    output.say(f"Score {obj['score']} of 33: {obj['verdict']}.")


def _ask_scores(p) -> str:
    from salescrm.domain.audit import SURVEY_QUESTIONS

    return ",".join(p.select(f"On a scale of 1-7, {question}", [str(n) for n in range(1, 8)]) for _, question in SURVEY_QUESTIONS)


def _ask_reports(p) -> str:
    from salescrm.domain.audit import SURVEY_REPORTS

    labels = {label: key for key, label in SURVEY_REPORTS}
    # None ticked: a point is claimed by ticking the report the team really runs, never by pressing Enter.
    chosen = p.checkbox("On which of these topics do we run regular reports out of our CRM?", list(labels))
    return ",".join(labels[c] for c in chosen) or "none"
