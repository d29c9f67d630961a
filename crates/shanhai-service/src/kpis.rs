//! Reported KPIs (C11): the catalogue of definitions, an institution's periodic report, its entry,
//! submission and review (approve, return, reopen), and the series and standings read from the
//! approved reports. Who may enter and who may review is the domain's rule (`may_enter`,
//! `may_review`).

use crate::{AccessFacts, Acting, ServiceError, ServiceResult};
use shanhai_domain::access::Reach;
use shanhai_domain::codes::Role;
use shanhai_domain::kpis::{
    KpiDefinition, KpiDefinitionInput, KpiReport, KpiReportInput, KpiSeriesPoint, KpiStanding,
    KpiTransitionInput, KpiValueInput, ReportAction, may_enter, may_review, transition,
};
use shanhai_domain::validate;
use shanhai_store::kpis::{self, KpiReportFilter, SeriesFilter, StandingsFilter};
use shanhai_store::{Db, Page, PageRequest};

/// Whether the caller may take `action` on the report (the state machine aside).
pub fn may_act(
    facts: &AccessFacts,
    who: &Acting,
    report: &KpiReport,
    action: ReportAction,
) -> bool {
    let p = &who.principal;
    let access = facts.access(p, &report.institution_id);
    if action.by_reviewer() {
        may_review(p, report.program_id.as_deref(), access)
    } else {
        may_enter(p, access)
    }
}

/// Refuses unless the caller keeps the KPI catalogue (the platform admin, program offices).
pub fn may_define(who: &Acting) -> ServiceResult<()> {
    if matches!(
        who.principal.role,
        Role::PlatformAdmin | Role::ProgramOffice
    ) {
        Ok(())
    } else {
        Err(ServiceError::forbidden())
    }
}

/// Adds a KPI to the catalogue.
pub async fn define(
    db: &Db,
    who: &Acting,
    input: &KpiDefinitionInput,
) -> ServiceResult<KpiDefinition> {
    may_define(who)?;
    let new = input.parse()?;
    Ok(kpis::create_definition(db, &who.actor, &new).await?)
}

/// The reports of the institutions the caller reaches, filtered.
pub async fn list(
    db: &Db,
    who: &Acting,
    filter: &KpiReportFilter,
    page: PageRequest,
) -> ServiceResult<Page<KpiReport>> {
    let reach = AccessFacts::load(db).await?.reach(&who.principal);
    Ok(kpis::list(db, filter, &reach, page).await?)
}

/// Opens a report for an institution whose figures the caller enters.
pub async fn open(db: &Db, who: &Acting, input: &KpiReportInput) -> ServiceResult<KpiReport> {
    let institution = validate::reference("institution_id", &input.institution_id)?;
    let facts = AccessFacts::load(db).await?;
    if !may_enter(&who.principal, facts.access(&who.principal, &institution)) {
        return Err(ServiceError::forbidden());
    }
    let new = input.parse()?;
    Ok(kpis::create(db, &who.actor, &new, &input.values).await?)
}

/// What the caller may do with a report now.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportRights {
    pub edit: bool,
    pub submit: bool,
    pub approve: bool,
    pub give_back: bool,
    pub reopen: bool,
}

/// A report the caller reaches, with what they may do with it now.
pub async fn read(db: &Db, who: &Acting, id: &str) -> ServiceResult<(KpiReport, ReportRights)> {
    let r = kpis::get(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    let p = &who.principal;
    if !facts.access(p, &r.institution_id).can_read() {
        return Err(ServiceError::forbidden());
    }
    let can = |action| transition(r.state, action).is_some() && may_act(&facts, who, &r, action);
    let rights = ReportRights {
        edit: shanhai_domain::kpis::editable(r.state)
            && may_enter(p, facts.access(p, &r.institution_id)),
        submit: can(ReportAction::Submit),
        approve: can(ReportAction::Approve),
        give_back: can(ReportAction::Return),
        reopen: can(ReportAction::Reopen),
    };
    Ok((r, rights))
}

/// Refuses unless the caller enters this report's figures (asked before its input is read).
pub async fn may_edit(db: &Db, who: &Acting, id: &str) -> ServiceResult<()> {
    let r = kpis::get(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    if may_enter(
        &who.principal,
        facts.access(&who.principal, &r.institution_id),
    ) {
        Ok(())
    } else {
        Err(ServiceError::forbidden())
    }
}

/// Replaces a report's values and, with `then_submit`, submits it for review.
pub async fn save(
    db: &Db,
    who: &Acting,
    id: &str,
    values: &[KpiValueInput],
    then_submit: bool,
) -> ServiceResult<KpiReport> {
    may_edit(db, who, id).await?;
    let saved = kpis::set_values(db, &who.actor, id, values).await?;
    if !then_submit {
        return Ok(saved);
    }
    Ok(kpis::transition(db, &who.actor, id, ReportAction::Submit, None).await?)
}

/// Refuses unless the caller may take `action` on the report (asked before its input is read).
pub async fn may_take(db: &Db, who: &Acting, id: &str, action: ReportAction) -> ServiceResult<()> {
    let r = kpis::get(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    crate::allowed(may_act(&facts, who, &r, action))
}

/// Submits a report, or as its reviewer approves (locking the period), returns (with a reason)
/// or reopens it.
pub async fn act(
    db: &Db,
    who: &Acting,
    id: &str,
    action: ReportAction,
    input: &KpiTransitionInput,
) -> ServiceResult<KpiReport> {
    may_take(db, who, id, action).await?;
    let reason = input.parse(action)?;
    Ok(kpis::transition(db, &who.actor, id, action, reason).await?)
}

/// One KPI's figures over time, from the reports the caller reaches.
pub async fn series(
    db: &Db,
    who: &Acting,
    filter: &SeriesFilter,
) -> ServiceResult<Vec<KpiSeriesPoint>> {
    let reach = AccessFacts::load(db).await?.reach(&who.principal);
    Ok(kpis::series(db, filter, &reach).await?)
}

/// How the institutions the caller reaches stand against their targets.
pub async fn standings(
    db: &Db,
    who: &Acting,
    filter: &StandingsFilter,
) -> ServiceResult<Vec<KpiStanding>> {
    let reach: Reach = AccessFacts::load(db).await?.reach(&who.principal);
    Ok(kpis::standings(db, filter, &reach).await?)
}
