//! The rules (what each kind of record counts) and the measures (the catalogue's indicators as
//! readings of the rules).

/// A parent table whose key columns a rule reads through a join.
#[derive(Debug, Clone, Copy)]
pub struct Parent {
    pub table: &'static str,
    /// The parent's columns that change which program, pairing, institution, date, kind or
    /// predicate its children count under.
    pub watch: &'static [&'static str],
    /// The children of the parent row `{id}`, as a condition over `t`.
    pub link: &'static str,
}

/// How one kind of record is rolled up. Expressions are SQL over the source table aliased `t`
/// and the rule's `joins`, portable between SQLite and PostgreSQL.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The rule's name, stored in the `rule` column.
    pub name: &'static str,
    pub table: &'static str,
    pub joins: &'static str,
    pub program: &'static str,
    pub pairing: &'static str,
    pub institution: &'static str,
    /// `YYYY-MM-DD`, or a timestamp that starts with it.
    pub date: &'static str,
    /// Which records count.
    pub filter: &'static str,
    /// The record's kind, kept as a key column (`NULL`: one kind).
    pub split: &'static str,
    /// What a record contributes to `value` (`1`, or for people a reference count).
    pub value: &'static str,
    /// What a record contributes to `extra` (bookings, attendance, an amount in fen; `0`).
    pub extra: &'static str,
    /// For rules whose records name a person counted once: the person.
    pub member: Option<&'static str>,
    /// The dispatched expert (people.id) a record is attributed to, for a team's scope (its
    /// members' records); `NULL` where a record names no one.
    pub person: &'static str,
    /// The team a record names itself (a team visit), for a team's scope; `NULL` where none.
    pub team: &'static str,
    /// The dispatch scheme a record is reached through (its batch's `scheme_id`), for a
    /// scheme's scope; `NULL` where none.
    pub scheme: &'static str,
    /// The columns of `t` the expressions read (an update of any other column changes nothing).
    pub watch: &'static [&'static str],
    pub parents: &'static [Parent],
}

/// Which column of a rule an indicator reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Value,
    Extra,
    /// The distinct people with a positive reference count.
    People,
}

/// One indicator of the catalogue as a reading of a rule: a column over all its kinds
/// (`kinds` empty) or over some.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    pub indicator: &'static str,
    pub rule: &'static str,
    pub kinds: &'static [&'static str],
    pub column: Column,
}

impl Measure {
    pub fn distinct(&self) -> bool {
        self.column == Column::People
    }

    pub(super) fn counts(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }

    /// The rule the indicator reads.
    pub fn rule(&self) -> &'static Rule {
        RULES
            .iter()
            .find(|r| r.name == self.rule)
            .unwrap_or(&RULES[0])
    }
}

const BATCH_JOIN: &str = "JOIN batches b ON b.id = t.batch_id";
/// The batch of a record's assignment (`t.assignment_id`): its program and pairing.
const BATCH_OF_ASSIGNMENT: Parent = Parent {
    table: "batches",
    watch: &["program_id", "pairing_id"],
    link: "t.assignment_id IN (SELECT x.id FROM assignments x WHERE x.batch_id = {id})",
};
const SESSION_JOINS: &str =
    "LEFT JOIN assignments a ON a.id = t.assignment_id LEFT JOIN batches b ON b.id = a.batch_id";
const SESSION_WATCH: &[&str] = &[
    "assignment_id",
    "institution_id",
    "date",
    "status",
    "visit_type",
    "booked",
];
const SESSION_PARENTS: &[Parent] = &[
    Parent {
        table: "assignments",
        watch: &["batch_id"],
        link: "t.assignment_id = {id}",
    },
    BATCH_OF_ASSIGNMENT,
];
const BOOKING_JOINS: &str = "JOIN clinic_sessions s ON s.id = t.session_id \
    LEFT JOIN assignments a ON a.id = s.assignment_id LEFT JOIN batches b ON b.id = a.batch_id";
const BOOKING_PARENTS: &[Parent] = &[
    Parent {
        table: "clinic_sessions",
        watch: &[
            "assignment_id",
            "institution_id",
            "date",
            "status",
            "visit_type",
        ],
        link: "t.session_id = {id}",
    },
    Parent {
        table: "assignments",
        watch: &["batch_id"],
        link: "t.session_id IN (SELECT x.id FROM clinic_sessions x WHERE x.assignment_id = {id})",
    },
    Parent {
        table: "batches",
        watch: &["program_id", "pairing_id"],
        link: "t.session_id IN (SELECT x.id FROM clinic_sessions x \
               JOIN assignments y ON y.id = x.assignment_id WHERE y.batch_id = {id})",
    },
];

/// A record of a capacity table (program, institution, one date column) counted once.
const fn simple(name: &'static str, table: &'static str, date: &'static str) -> Rule {
    Rule {
        name,
        table,
        joins: "",
        program: "t.program_id",
        pairing: "NULL",
        institution: "t.institution_id",
        date,
        filter: "1 = 1",
        split: "NULL",
        value: "1",
        extra: "0",
        member: None,
        person: "NULL",
        team: "NULL",
        scheme: "NULL",
        watch: &[], // filled in by `watch_of` from the rule's own columns
        parents: &[],
    }
}

/// Every roll-up rule: one per kind of record. Each must agree with the lists its measures'
/// `records_url` name (`GET /api/v1/programs/{id}/indicators`); the API tests compare them on
/// the demo data.
pub const RULES: &[Rule] = &[
    // One row per person: its reference count is the assignments, its presence the expert.
    Rule {
        name: "assignments",
        table: "assignments",
        joins: BATCH_JOIN,
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "t.institution_id",
        date: "t.start_date",
        member: Some("t.person_id"),
        person: "t.person_id",
        scheme: "b.scheme_id",
        watch: &["batch_id", "person_id", "institution_id", "start_date"],
        parents: &[Parent {
            table: "batches",
            watch: &["program_id", "pairing_id"],
            link: "t.batch_id = {id}",
        }],
        ..simple("", "", "")
    },
    // A service day counts once its assignment has begun (the list filters both dates).
    Rule {
        name: "work-days",
        table: "service_days",
        joins: "JOIN assignments a ON a.id = t.assignment_id JOIN batches b ON b.id = a.batch_id",
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "a.institution_id",
        date: "CASE WHEN a.start_date > t.day THEN a.start_date ELSE t.day END",
        person: "a.person_id",
        scheme: "b.scheme_id",
        watch: &["assignment_id", "day"],
        parents: &[
            Parent {
                table: "assignments",
                watch: &["batch_id", "institution_id", "start_date"],
                link: "t.assignment_id = {id}",
            },
            BATCH_OF_ASSIGNMENT,
        ],
        ..simple("", "", "")
    },
    // Sessions held (not cancelled), by visit type; `extra` the places booked.
    Rule {
        name: "clinic-sessions",
        table: "clinic_sessions",
        joins: SESSION_JOINS,
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "t.institution_id",
        date: "t.date",
        filter: "t.status = 'open'",
        split: "t.visit_type",
        extra: "t.booked",
        person: "a.person_id",
        scheme: "b.scheme_id",
        watch: SESSION_WATCH,
        parents: SESSION_PARENTS,
        ..simple("", "", "")
    },
    // Bookings checked in on sessions held, by the session's visit type.
    Rule {
        name: "patients-seen",
        table: "bookings",
        joins: BOOKING_JOINS,
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "s.institution_id",
        date: "s.date",
        filter: "t.status = 'checked-in' AND s.status = 'open'",
        split: "s.visit_type",
        person: "a.person_id",
        scheme: "b.scheme_id",
        watch: &["session_id", "status"],
        parents: BOOKING_PARENTS,
        ..simple("", "", "")
    },
    Rule {
        name: "consultations",
        institution: "t.requesting_institution_id",
        split: "t.type",
        watch: &[
            "program_id",
            "requesting_institution_id",
            "requested_at",
            "type",
        ],
        ..simple("", "consultations", "t.requested_at")
    },
    // Up-referrals count at the sending hospital, down-referrals where the patient comes back
    // to; `extra` marks an up-referral leaving the region.
    Rule {
        name: "referrals",
        institution: "CASE WHEN t.direction = 'down' THEN t.to_institution_id ELSE t.from_institution_id END",
        split: "t.direction",
        extra: "CASE WHEN t.direction = 'up' AND t.leaves_region = 1 THEN 1 ELSE 0 END",
        watch: &[
            "program_id",
            "direction",
            "from_institution_id",
            "to_institution_id",
            "created_at",
            "leaves_region",
        ],
        ..simple("", "referrals", "t.created_at")
    },
    simple("placements", "placements", "t.start_date"),
    simple("mentorships", "mentorships", "t.term_start"),
    // An apprentice counts once both the mentorship's term and the apprenticeship have begun.
    Rule {
        name: "apprentices",
        table: "mentorship_apprentices",
        joins: "JOIN mentorships m ON m.id = t.mentorship_id",
        program: "m.program_id",
        institution: "m.institution_id",
        date: "CASE WHEN m.term_start > t.joined_on THEN m.term_start ELSE t.joined_on END",
        watch: &["mentorship_id", "joined_on"],
        parents: &[Parent {
            table: "mentorships",
            watch: &["program_id", "institution_id", "term_start"],
            link: "t.mentorship_id = {id}",
        }],
        ..simple("", "", "")
    },
    simple("team-pairings", "team_pairings", "t.start_date"),
    // By kind; `extra` the attendance.
    Rule {
        split: "t.kind",
        extra: "t.attendance",
        watch: &[
            "program_id",
            "institution_id",
            "held_on",
            "kind",
            "attendance",
        ],
        ..simple("teaching-activities", "teaching_activities", "t.held_on")
    },
    // By the gap filled; `extra` marks surgical grade 3–4.
    Rule {
        pairing: "t.pairing_id",
        split: "t.gap_level",
        extra: "CASE WHEN t.surgical_grade >= 3 THEN 1 ELSE 0 END",
        watch: &[
            "program_id",
            "institution_id",
            "pairing_id",
            "introduced_on",
            "gap_level",
            "surgical_grade",
        ],
        ..simple("techniques", "techniques", "t.introduced_on")
    },
    simple("workstations", "workstations", "t.opened_on"),
    simple("alliances", "alliances", "t.founded_on"),
    simple("specialty-projects", "specialty_projects", "t.started_on"),
    simple("regulations", "regulations", "t.adopted_on"),
    simple("research-outputs", "research_outputs", "t.dated_on"),
    Rule {
        extra: "t.amount_fen",
        ..simple("funding", "funding_items", "t.granted_on")
    },
    Rule {
        extra: "t.value_fen",
        ..simple("equipment", "equipment_donations", "t.donated_on")
    },
    // A batch counts once it has begun; it has no one institution (it may serve several).
    Rule {
        name: "batches",
        table: "batches",
        program: "t.program_id",
        pairing: "t.pairing_id",
        institution: "NULL",
        date: "t.start_date",
        scheme: "t.scheme_id",
        watch: &["program_id", "pairing_id", "start_date"],
        ..simple("", "", "")
    },
    // An expert's workload report counts at its period end, at the assignment's recipient; one
    // rule per count (a rule sums two columns, and these are a few rows per expert and month).
    workload("workload-outpatients", "t.outpatients"),
    workload("workload-admissions", "t.admissions"),
    workload("workload-operations", "t.operations"),
    // ---- training and management (issue 18, helper "training") ----
    simple(
        "training-scheme-members",
        "training_scheme_members",
        "t.joined_on",
    ),
    simple("lecture-series", "lecture_series", "t.started_on"),
    // The teaching activities that are sessions of a lecture series; `extra` the attendance.
    Rule {
        filter: "t.series_id IS NOT NULL",
        extra: "t.attendance",
        watch: &[
            "program_id",
            "institution_id",
            "held_on",
            "series_id",
            "attendance",
        ],
        ..simple(
            "lecture-series-sessions",
            "teaching_activities",
            "t.held_on",
        )
    },
    simple("cme-enrolments", "cme_enrolments", "t.enrolled_on"),
    simple("department-changes", "department_changes", "t.changed_on"),
    // An accreditation goal counts on the day it was achieved.
    Rule {
        filter: "t.status = 'achieved' AND t.achieved_on IS NOT NULL",
        watch: &["program_id", "institution_id", "status", "achieved_on"],
        ..simple(
            "accreditations-achieved",
            "accreditation_goals",
            "t.achieved_on",
        )
    },
    simple("patient-returns", "patient_returns", "t.returned_on"),
    // ---- end training ----
    // ---- outreach events ----
    // An outreach event by kind; `extra` the people served.
    Rule {
        split: "t.kind",
        extra: "t.people_served",
        watch: &[
            "program_id",
            "institution_id",
            "held_on",
            "kind",
            "people_served",
        ],
        ..simple("outreach-events", "outreach_events", "t.held_on")
    },
    // What the events produced: screenings (`value`) and referrals (`extra`).
    Rule {
        value: "t.screenings",
        extra: "t.referrals",
        watch: &[
            "program_id",
            "institution_id",
            "held_on",
            "screenings",
            "referrals",
        ],
        ..simple("outreach-results", "outreach_events", "t.held_on")
    },
    // ---- operations (手术), issue 18 ----
    // By the dispatched expert's role; `extra` marks a minimally invasive one.
    Rule {
        split: "t.expert_role",
        extra: "t.minimally_invasive",
        ..operations("operations")
    },
    // The same operations by grade (一级–四级).
    Rule {
        split: "CASE t.grade WHEN 1 THEN 'grade-1' WHEN 2 THEN 'grade-2' WHEN 3 THEN 'grade-3' \
                WHEN 4 THEN 'grade-4' ELSE NULL END",
        ..operations("operations-grade")
    },
    // --- teams (issue 18): the extended workload, and a team's visits to its host (counted
    // once each at its start, at the host; it names its team).
    workload("workload-rescues", "t.rescues"),
    workload("workload-mdt", "t.mdt_participations"),
    Rule {
        team: "t.team_id",
        watch: &["program_id", "institution_id", "start_date", "team_id"],
        ..simple("team-visits", "team_visits", "t.start_date")
    },
    // --- end teams
];

/// An operation (手术) counted once at its institution and date, under its own program and the
/// pairing of the expert's assignment's batch, when it names one.
const fn operations(name: &'static str) -> Rule {
    Rule {
        name,
        table: "operations",
        joins: "LEFT JOIN assignments a ON a.id = t.assignment_id \
                LEFT JOIN batches b ON b.id = a.batch_id",
        program: "t.program_id",
        pairing: "b.pairing_id",
        institution: "t.institution_id",
        date: "t.performed_on",
        // A team's operations are its members' (the dispatched expert's); a scheme's, those
        // under its batches' assignments.
        person: "t.expert_id",
        scheme: "b.scheme_id",
        watch: &[
            "program_id",
            "institution_id",
            "assignment_id",
            "performed_on",
            "grade",
            "expert_role",
            "minimally_invasive",
        ],
        parents: &[
            Parent {
                table: "assignments",
                watch: &["batch_id"],
                link: "t.assignment_id = {id}",
            },
            Parent {
                table: "batches",
                watch: &["pairing_id"],
                link: "t.assignment_id IN (SELECT x.id FROM assignments x WHERE x.batch_id = {id})",
            },
        ],
        ..simple("", "", "")
    }
}

/// The rule summing one count of the workload reports.
const fn workload(name: &'static str, value: &'static str) -> Rule {
    Rule {
        name,
        table: "workload_reports",
        joins: "JOIN assignments a ON a.id = t.assignment_id JOIN batches b ON b.id = a.batch_id",
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "a.institution_id",
        date: "t.period_end",
        value,
        person: "a.person_id",
        scheme: "b.scheme_id",
        watch: &[
            "assignment_id",
            "period_end",
            "outpatients",
            "admissions",
            "operations",
            "rescues",
            "mdt_participations",
        ],
        parents: &[
            Parent {
                table: "assignments",
                watch: &["batch_id", "institution_id"],
                link: "t.assignment_id = {id}",
            },
            BATCH_OF_ASSIGNMENT,
        ],
        ..simple("", "", "")
    }
}

const fn m(indicator: &'static str, rule: &'static str, column: Column) -> Measure {
    Measure {
        indicator,
        rule,
        kinds: &[],
        column,
    }
}

const fn of(
    indicator: &'static str,
    rule: &'static str,
    kinds: &'static [&'static str],
    column: Column,
) -> Measure {
    Measure {
        indicator,
        rule,
        kinds,
        column,
    }
}

use Column::{Extra, People, Value};

const OUTREACH: &[&str] = &["free-clinic", "circuit"];

/// Every counted indicator of the catalogue, as a reading of a rule.
pub const MEASURES: &[Measure] = &[
    m("experts-dispatched", "assignments", People),
    m("assignments", "assignments", Value),
    m("work-days", "work-days", Value),
    m("clinic-sessions", "clinic-sessions", Value),
    m("bookings", "clinic-sessions", Extra),
    m("patients-seen", "patients-seen", Value),
    of("outreach-sessions", "clinic-sessions", OUTREACH, Value),
    of("outreach-patients", "patients-seen", OUTREACH, Value),
    m("consultations", "consultations", Value),
    of(
        "consultations-general",
        "consultations",
        &["general"],
        Value,
    ),
    of("consultations-mdt", "consultations", &["mdt"], Value),
    of(
        "consultations-difficult-case",
        "consultations",
        &["difficult-case"],
        Value,
    ),
    of(
        "consultations-imaging",
        "consultations",
        &["imaging"],
        Value,
    ),
    of(
        "consultations-pathology",
        "consultations",
        &["pathology"],
        Value,
    ),
    of(
        "consultations-surgical-guidance",
        "consultations",
        &["surgical-guidance"],
        Value,
    ),
    of("referrals-up", "referrals", &["up"], Value),
    of("referrals-down", "referrals", &["down"], Value),
    of("referrals-leaving-region", "referrals", &["up"], Extra),
    m("placements", "placements", Value),
    m("mentorships", "mentorships", Value),
    m("apprentices", "apprentices", Value),
    m("team-pairings", "team-pairings", Value),
    m("teaching-activities", "teaching-activities", Value),
    m("teaching-attendance", "teaching-activities", Extra),
    of(
        "teaching-activities-teaching-round",
        "teaching-activities",
        &["teaching-round"],
        Value,
    ),
    of(
        "teaching-activities-lecture",
        "teaching-activities",
        &["lecture"],
        Value,
    ),
    of(
        "teaching-activities-surgical-demonstration",
        "teaching-activities",
        &["surgical-demonstration"],
        Value,
    ),
    of(
        "teaching-activities-case-discussion",
        "teaching-activities",
        &["case-discussion"],
        Value,
    ),
    of(
        "teaching-activities-training",
        "teaching-activities",
        &["training"],
        Value,
    ),
    of(
        "teaching-activities-remote-teaching",
        "teaching-activities",
        &["remote-teaching"],
        Value,
    ),
    of(
        "teaching-activities-competition",
        "teaching-activities",
        &["competition"],
        Value,
    ),
    of(
        "teaching-activities-research-clinic",
        "teaching-activities",
        &["research-clinic"],
        Value,
    ),
    m("techniques", "techniques", Value),
    of("gaps-filled-hospital", "techniques", &["hospital"], Value),
    of("gaps-filled-county", "techniques", &["county"], Value),
    of("gaps-filled-city", "techniques", &["city"], Value),
    of("gaps-filled-province", "techniques", &["province"], Value),
    m("techniques-grade-3-4", "techniques", Extra),
    m("workstations", "workstations", Value),
    m("alliances", "alliances", Value),
    m("specialty-projects", "specialty-projects", Value),
    m("regulations", "regulations", Value),
    m("research-outputs", "research-outputs", Value),
    m("funding", "funding", Extra),
    m("equipment-value", "equipment", Extra),
    m("batches", "batches", Value),
    m("workload-outpatients", "workload-outpatients", Value),
    m("workload-admissions", "workload-admissions", Value),
    m("workload-operations", "workload-operations", Value),
    // ---- training and management (issue 18, helper "training") ----
    m("training-cohort-members", "training-scheme-members", Value),
    m("lecture-series", "lecture-series", Value),
    m("lecture-series-sessions", "lecture-series-sessions", Value),
    m(
        "lecture-series-attendance",
        "lecture-series-sessions",
        Extra,
    ),
    m("cme-learners", "cme-enrolments", Value),
    m("departments-restructured", "department-changes", Value),
    m("accreditations-achieved", "accreditations-achieved", Value),
    m("patients-returned", "patient-returns", Value),
    of(
        "teaching-attendance-training",
        "teaching-activities",
        &["training"],
        Extra,
    ),
    // ---- end training ----
    // ---- outreach events ----
    m("outreach-events", "outreach-events", Value),
    m("outreach-people-served", "outreach-events", Extra),
    of(
        "outreach-free-clinic-served",
        "outreach-events",
        &["free-clinic"],
        Extra,
    ),
    m("outreach-screenings", "outreach-results", Value),
    m("outreach-referrals", "outreach-results", Extra),
    // ---- operations (手术), issue 18 ----
    m("operations", "operations", Value),
    of(
        "operations-grade-1",
        "operations-grade",
        &["grade-1"],
        Value,
    ),
    of(
        "operations-grade-2",
        "operations-grade",
        &["grade-2"],
        Value,
    ),
    of(
        "operations-grade-3",
        "operations-grade",
        &["grade-3"],
        Value,
    ),
    of(
        "operations-grade-4",
        "operations-grade",
        &["grade-4"],
        Value,
    ),
    of("operations-operated", "operations", &["operated"], Value),
    of("operations-guided", "operations", &["guided"], Value),
    of(
        "operations-demonstration",
        "operations",
        &["demonstration"],
        Value,
    ),
    of(
        "operations-remote-guidance",
        "operations",
        &["remote-guidance"],
        Value,
    ),
    m("operations-minimally-invasive", "operations", Extra),
    // --- teams (issue 18)
    m("workload-rescues", "workload-rescues", Value),
    m("workload-mdt", "workload-mdt", Value),
    m("team-visits", "team-visits", Value),
    // --- end teams
];

/// The measure of a catalogue indicator.
pub fn measure(indicator: &str) -> Option<&'static Measure> {
    MEASURES.iter().find(|m| m.indicator == indicator)
}

/// The rule of a catalogue indicator.
pub fn rule(indicator: &str) -> Option<&'static Rule> {
    measure(indicator).map(Measure::rule)
}

/// The columns of `t` a rule reads: its declared `watch`, or for the simple capacity rules
/// the program, institution, date and value columns.
pub(super) fn watch_of(rule: &Rule) -> Vec<&'static str> {
    if !rule.watch.is_empty() {
        return rule.watch.to_vec();
    }
    let mut cols = vec!["program_id", "institution_id"];
    for expr in [rule.date, rule.value, rule.extra, rule.split] {
        if let Some(c) = expr.strip_prefix("t.") {
            cols.push(c);
        }
    }
    cols
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a test that cannot set up should stop with the reason
mod tests {
    use super::*;
    use shanhai_domain::indicators::CATALOGUE;

    #[test]
    fn every_catalogue_indicator_has_exactly_one_measure_over_a_rule() {
        for i in CATALOGUE {
            let n = MEASURES.iter().filter(|m| m.indicator == i.code).count();
            assert_eq!(
                n, 1,
                "indicator {} needs exactly one measure in shanhai-store/src/rollups/rules.rs (has {n})",
                i.code
            );
        }
        for m in MEASURES {
            assert!(
                CATALOGUE.iter().any(|i| i.code == m.indicator),
                "measure {} names no catalogue indicator",
                m.indicator
            );
            assert!(
                RULES.iter().any(|r| r.name == m.rule),
                "measure {} names no rule",
                m.indicator
            );
            assert_eq!(
                m.distinct(),
                m.rule().member.is_some() && m.column == Column::People
            );
            assert!(
                m.kinds.is_empty() || m.rule().split != "NULL",
                "{}",
                m.indicator
            );
        }
        for r in RULES {
            assert!(!watch_of(r).is_empty());
            assert!(
                MEASURES.iter().any(|m| m.rule == r.name),
                "rule {} unread",
                r.name
            );
        }
        // One indicator per consultation type and per teaching kind, over the rule's split.
        use shanhai_domain::capacity::TeachingKind;
        use shanhai_domain::consultations::ConsultationType;
        for t in ConsultationType::ALL {
            let m = measure(&format!("consultations-{}", t.code())).expect("per type");
            assert_eq!((m.rule, m.kinds), ("consultations", &[t.code()][..]));
        }
        for k in TeachingKind::ALL {
            let m = measure(&format!("teaching-activities-{}", k.code())).expect("per kind");
            assert_eq!((m.rule, m.kinds), ("teaching-activities", &[k.code()][..]));
        }
    }
}
