#!/usr/bin/env python3
"""The deployment planner's reference: an independent CP-SAT model of a planning instance.

Reads an instance as JSON (the serde form of `shanhai_planner::Instance`), builds its OWN model
from the model described in crates/shanhai-planner/src/lib.rs — it shares no code with the Rust
solver — solves it with OR-Tools CP-SAT and prints one JSON object on stdout:

    {"status": "OPTIMAL" | "FEASIBLE" | "INFEASIBLE" | "UNKNOWN" | ..., "objective": int,
     "bound": int, "wall_seconds": float, "first_solution_seconds": float | null,
     "candidates": int, "stints": [{"need_id", "expert_id", "period": {"start", "end"}}]}

The model, in days counted from the horizon's first day, with stints on its week grid:
- optional intervals per need x compatible expert x piece of an availability window that
  accepts the need's mode (a window cut at its blackout days and, for on-site needs, at the
  expert's busy periods): start week `s`, length `k` whole weeks, min stay <= 7k <= longest stint
  (one interval, or, when splits are allowed and the longest stint is shorter than the piece,
  as many as could fit one after the other);
- compatibility: the expert's specialty is the need's or a sub-specialty of it (`03.04` fills
  `03`); when the rules check titles, the title is of the need's least title's series and at
  least its rank;
- NoOverlap per need (a need's days are counted once); at most one stint per need when splits
  are off and for team leaders;
- NoOverlap per expert over the on-site stints, each stretched by `rest_days` after its end (so
  two on-site stints are `rest_days` free days apart); remote stints occupy nobody;
- a team member's stint lies inside its leader's stint, and there is none without one;
- pinned stints are fixed, present intervals;
- objective: maximise the sum of priority x days covered.

Needs' windows must lie on the week grid (the bench's generated instances do); others are
refused with status "UNSUPPORTED".
"""

import argparse
import datetime as dt
import json
import sys
import time

from ortools.sat.python import cp_model

# Title -> (series, rank): 4 正高, 3 副高, 2 中级, 1 初级.
RANK = {
    "chief-physician": ("physician", 4),
    "associate-chief-physician": ("physician", 3),
    "attending-physician": ("physician", 2),
    "resident-physician": ("physician", 1),
    "chief-nurse": ("nurse", 4),
    "associate-chief-nurse": ("nurse", 3),
    "supervisor-nurse": ("nurse", 2),
    "nurse": ("nurse", 1),
    "chief-technician": ("technician", 4),
    "technician": ("technician", 1),
    "researcher": ("research", 4),
    "administrator": ("administration", 1),
}


def meets(title, least):
    series, rank = RANK[title]
    least_series, least_rank = RANK[least]
    return series == least_series and rank >= least_rank


def fills(expert_specialty, need_specialty):
    if expert_specialty is None:
        return False
    return expert_specialty == need_specialty or expert_specialty.startswith(need_specialty + ".")


def cut(pieces, hole_start, hole_end):
    """Removes the days hole_start..hole_end (inclusive) from a list of inclusive day ranges."""
    out = []
    for a, b in pieces:
        if hole_end < a or hole_start > b:
            out.append((a, b))
            continue
        if a < hole_start:
            out.append((a, hole_start - 1))
        if hole_end < b:
            out.append((hole_end + 1, b))
    return out


class FirstSolution(cp_model.CpSolverSolutionCallback):
    def __init__(self, started, verbose):
        super().__init__()
        self.started = started
        self.first = None
        self.verbose = verbose

    def on_solution_callback(self):
        now = time.monotonic() - self.started
        if self.first is None:
            self.first = now
        if self.verbose:
            print(
                f"  reference: {now:6.1f} s objective {int(self.ObjectiveValue())} "
                f"bound {int(self.BestObjectiveBound())}",
                file=sys.stderr,
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", help="the instance as JSON")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="each improvement on stderr")
    args = parser.parse_args()
    started = time.monotonic()

    with open(args.instance, encoding="utf-8") as f:
        inst = json.load(f)

    day0 = dt.date.fromisoformat(inst["horizon"]["start"])

    def day(s):
        return (dt.date.fromisoformat(s) - day0).days

    def date(d):
        return (day0 + dt.timedelta(days=d)).isoformat()

    rules = inst["rules"]
    rest = int(rules["rest_days"])
    horizon_days = day(inst["horizon"]["end"]) + 1
    experts = {e["id"]: e for e in inst["experts"]}
    needs = {n["id"]: n for n in inst["needs"]}

    for n in inst["needs"]:
        if day(n["window"]["start"]) % 7 != 0 or (day(n["window"]["end"]) + 1) % 7 != 0:
            print(json.dumps({"status": "UNSUPPORTED", "detail": f"need {n['id']} off the week grid"}))
            return

    model = cp_model.CpModel()
    # Per candidate: (need id, expert id, start week var, length var, presence, days var).
    candidates = []
    by_need = {nid: [] for nid in needs}  # need id -> [(interval, presence, days expr, start_d, end_d)]
    by_expert = {eid: [] for eid in experts}  # expert id -> [interval stretched by rest]
    objective = []

    def on_site(need):
        return need["mode"] != "remote"

    for need in inst["needs"]:
        nid = need["id"]
        n_start = day(need["window"]["start"])
        n_end = day(need["window"]["end"])
        min_weeks = max(1, -(-int(need["min_stay_days"]) // 7))
        for expert in inst["experts"]:
            if not fills(expert.get("specialty"), need["specialty"]):
                continue
            if rules["check_title"] and need.get("min_title") and not meets(expert["title"], need["min_title"]):
                continue
            for w_index, window in enumerate(expert["windows"]):
                if need["mode"] not in window["modes"]:
                    continue
                pieces = [(day(window["period"]["start"]), day(window["period"]["end"]))]
                for b in window.get("blackouts", []):
                    pieces = cut(pieces, day(b["start"]), day(b["end"]))
                if on_site(need):
                    for b in expert.get("busy", []):
                        pieces = cut(pieces, day(b["start"]), day(b["end"]))
                longest = window.get("longest_stint_days")
                max_weeks_window = None if longest is None else int(longest) // 7
                for a, b in pieces:
                    lo = max(a, n_start)
                    hi = min(b, n_end)
                    first_week = -(-lo // 7)  # stints start on the grid
                    end_week = (hi + 1) // 7  # exclusive: the week after the stint's last
                    span = end_week - first_week
                    max_weeks = span if max_weeks_window is None else min(span, max_weeks_window)
                    if max_weeks < min_weeks:
                        continue
                    # One expert may fill a split need with several stints of one window when
                    # its longest stint is shorter than the span (on site: rest days apart).
                    gap = -(-rest // 7) if on_site(need) else 0
                    single = not rules["split_needs"] or (need.get("team") or {}).get("role") == "leader"
                    copies = 1 if single or max_weeks >= span else 1 + (span - min_weeks) // (min_weeks + gap)
                    previous = None
                    for copy in range(copies):
                        tag = f"{nid}_{expert['id']}_{w_index}_{a}_{copy}"
                        s = model.NewIntVar(first_week, end_week - min_weeks, f"s_{tag}")
                        k = model.NewIntVar(min_weeks, max_weeks, f"k_{tag}")
                        e = model.NewIntVar(first_week + min_weeks, end_week, f"e_{tag}")
                        model.Add(s + k == e)
                        p = model.NewBoolVar(f"p_{tag}")
                        iv = model.NewOptionalIntervalVar(7 * s, 7 * k, 7 * e, p, f"i_{tag}")
                        d = model.NewIntVar(0, 7 * max_weeks, f"d_{tag}")
                        model.Add(d == 7 * k).OnlyEnforceIf(p)
                        model.Add(d == 0).OnlyEnforceIf(p.Not())
                        if previous is not None:
                            # Copies in order: a later one only after an earlier one.
                            model.AddImplication(p, previous[0])
                            model.Add(s >= previous[1] + gap).OnlyEnforceIf(p)
                        previous = (p, e)
                        by_need[nid].append((iv, p, d, 7 * s, 7 * e))
                        if on_site(need):
                            stretched = model.NewOptionalIntervalVar(7 * s, 7 * k + rest, 7 * e + rest, p, f"r_{tag}")
                            by_expert[expert["id"]].append(stretched)
                        objective.append(int(need["priority"]) * d)
                        candidates.append((nid, expert["id"], s, k, p))

    # Pinned stints: fixed and present.
    pinned_value = 0
    for pin in inst.get("pinned", []):
        need = needs.get(pin["need_id"])
        if need is None or pin["expert_id"] not in experts:
            print(json.dumps({"status": "UNSUPPORTED", "detail": f"pinned stint of unknown need or expert: {pin}"}))
            return
        a = day(pin["period"]["start"])
        b = day(pin["period"]["end"])
        iv = model.NewIntervalVar(a, b - a + 1, b + 1, f"pin_{pin['need_id']}_{pin['expert_id']}_{a}")
        one = model.NewConstant(1)
        by_need[pin["need_id"]].append((iv, one, b - a + 1, a, b + 1))
        if on_site(need):
            by_expert[pin["expert_id"]].append(model.NewIntervalVar(a, b - a + 1 + rest, b + 1 + rest, f"pinr_{a}"))
        pinned_value += int(need["priority"]) * (b - a + 1)

    leader_of = {}  # (institution, team) -> need id
    for need in inst["needs"]:
        team = need.get("team")
        if team and team["role"] == "leader":
            leader_of[(need["institution_id"], team["team"])] = need["id"]

    for nid, cands in by_need.items():
        need = needs[nid]
        if len(cands) > 1:
            model.AddNoOverlap([c[0] for c in cands])
        team = need.get("team")
        single = not rules["split_needs"] or (team is not None and team["role"] == "leader")
        if single and len(cands) > 1:
            model.Add(sum(c[1] for c in cands) <= 1)
        # A need's days are counted once: a redundant cut for the relaxation.
        window_days = day(need["window"]["end"]) - day(need["window"]["start"]) + 1
        if cands:
            model.Add(sum(c[2] for c in cands) <= window_days)

    for eid, ivs in by_expert.items():
        if len(ivs) > 1:
            model.AddNoOverlap(ivs)

    # Teams: members inside the leader's stint, none without one.
    if rules["team_within_leader"]:
        leader_span = {}
        for key, lid in leader_of.items():
            cands = by_need[lid]
            covered = model.NewBoolVar(f"lc_{lid}")
            model.Add(sum(c[1] for c in cands) == covered)
            ls = model.NewIntVar(0, horizon_days, f"ls_{lid}")
            le = model.NewIntVar(0, horizon_days, f"le_{lid}")
            for _, p, _, start, end in cands:
                model.Add(ls == start).OnlyEnforceIf(p)
                model.Add(le == end).OnlyEnforceIf(p)
            leader_span[key] = (covered, ls, le)
        for need in inst["needs"]:
            team = need.get("team")
            if not team or team["role"] != "member":
                continue
            span = leader_span.get((need["institution_id"], team["team"]))
            for _, p, _, start, end in by_need[need["id"]]:
                if span is None:
                    model.Add(p == 0)
                    continue
                covered, ls, le = span
                model.AddImplication(p, covered)
                model.Add(start >= ls).OnlyEnforceIf(p)
                model.Add(end <= le).OnlyEnforceIf(p)

    model.Maximize(sum(objective) + pinned_value)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, args.time_limit - (time.monotonic() - started))
    solver.parameters.num_workers = args.workers
    solver.parameters.random_seed = args.seed
    callback = FirstSolution(started, args.verbose)
    status = solver.Solve(model, callback)
    name = solver.StatusName(status)

    stints = [
        {"need_id": pin["need_id"], "expert_id": pin["expert_id"], "period": pin["period"]}
        for pin in inst.get("pinned", [])
    ]
    objective_value = None
    bound = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        objective_value = int(round(solver.ObjectiveValue()))
        bound = int(solver.BestObjectiveBound() + 1e-6)
        for nid, eid, s, k, p in candidates:
            if solver.Value(p):
                start = 7 * solver.Value(s)
                end = start + 7 * solver.Value(k) - 1
                stints.append({"need_id": nid, "expert_id": eid, "period": {"start": date(start), "end": date(end)}})
        stints.sort(key=lambda x: (x["need_id"], x["period"]["start"]))
    print(
        json.dumps(
            {
                "status": name,
                "objective": objective_value,
                "bound": bound,
                "wall_seconds": round(time.monotonic() - started, 3),
                "first_solution_seconds": None if callback.first is None else round(callback.first, 3),
                "candidates": len(candidates),
                "stints": stints,
            }
        )
    )


if __name__ == "__main__":
    main()
