//! Who may see and change what. Access follows pairings, not only the org tree: a pairing gives
//! the donor side the access its program grants to the recipient's data (like FHIR
//! OrganizationAffiliation).

use crate::codes::{DonorAccess, Role};
use std::collections::BTreeSet;

/// The authenticated caller and the scope their account is limited to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub program_id: Option<String>,
    pub institution_id: Option<String>,
}

/// One pairing as the access policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingLink {
    pub program_id: String,
    pub donor_id: String,
    pub recipient_id: String,
    pub donor_access: DonorAccess,
    /// Whether the pairing runs today.
    pub active: bool,
}

/// The program an office runs, with the office's own institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramFacts {
    pub program_id: String,
    pub office_institution_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    Write,
}

impl Access {
    pub fn can_read(self) -> bool {
        self >= Access::Read
    }
    pub fn can_write(self) -> bool {
        self == Access::Write
    }
}

impl From<DonorAccess> for Access {
    fn from(a: DonorAccess) -> Access {
        match a {
            DonorAccess::None => Access::None,
            DonorAccess::Read => Access::Read,
            DonorAccess::Write => Access::Write,
        }
    }
}

/// Which institutions' internal data (departments' staff, people, agreements) a caller reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    All,
    Some(BTreeSet<String>),
}

impl Reach {
    pub fn contains(&self, institution_id: &str) -> bool {
        match self {
            Reach::All => true,
            Reach::Some(set) => set.contains(institution_id),
        }
    }
}

/// Why the policy says no: `Forbidden` when the caller may never do it, `Conflict` when the
/// caller may but not in the record's current state; each with the message key to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Forbidden(&'static str),
    Conflict(&'static str),
}

/// A pairing's program and its two sides, as the policy weighs a creation or a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairingSides<'a> {
    pub program_id: &'a str,
    pub donor_id: &'a str,
    pub recipient_id: &'a str,
}

/// Whether an institution already takes part in a program: a side of one of its pairings
/// (running or ended), or its office.
pub fn in_program(
    program_id: &str,
    institution_id: &str,
    links: &[PairingLink],
    programs: &[ProgramFacts],
) -> bool {
    links.iter().any(|l| {
        l.program_id == program_id
            && (l.donor_id == institution_id || l.recipient_id == institution_id)
    }) || programs.iter().any(|p| {
        p.program_id == program_id && p.office_institution_id.as_deref() == Some(institution_id)
    })
}

const FORBIDDEN: Refusal = Refusal::Forbidden("error.forbidden");
const NEW_INSTITUTION: Refusal = Refusal::Forbidden("error.new_institution_needs_admin");

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::PlatformAdmin
    }

    fn office_of(&self, program_id: &str) -> bool {
        self.role == Role::ProgramOffice && self.program_id.as_deref() == Some(program_id)
    }

    /// Access to one institution's people and departments, given the pairings that touch it and
    /// the programs in play.
    pub fn institution_access(
        &self,
        institution_id: &str,
        links: &[PairingLink],
        programs: &[ProgramFacts],
    ) -> Access {
        let own = self.institution_id.as_deref() == Some(institution_id);
        match self.role {
            Role::PlatformAdmin => Access::Write,
            Role::ProgramOffice => {
                let office_institution = programs.iter().any(|p| {
                    self.office_of(&p.program_id)
                        && p.office_institution_id.as_deref() == Some(institution_id)
                });
                let in_program = links.iter().any(|l| {
                    self.office_of(&l.program_id)
                        && (l.donor_id == institution_id || l.recipient_id == institution_id)
                });
                if own || office_institution || in_program {
                    Access::Write
                } else {
                    Access::None
                }
            }
            Role::Coordinator => {
                if own {
                    return Access::Write;
                }
                let Some(mine) = self.institution_id.as_deref() else {
                    return Access::None;
                };
                links
                    .iter()
                    .filter(|l| l.active && l.donor_id == mine && l.recipient_id == institution_id)
                    .map(|l| Access::from(l.donor_access))
                    .max()
                    .unwrap_or(Access::None)
            }
            Role::Expert | Role::Clinician => {
                if own {
                    Access::Read
                } else {
                    Access::None
                }
            }
        }
    }

    /// Every institution the caller can at least read, for filtering lists.
    pub fn reach(&self, links: &[PairingLink], programs: &[ProgramFacts]) -> Reach {
        if self.is_admin() {
            return Reach::All;
        }
        let mut candidates: BTreeSet<&str> = links
            .iter()
            .flat_map(|l| [l.donor_id.as_str(), l.recipient_id.as_str()])
            .chain(
                programs
                    .iter()
                    .filter_map(|p| p.office_institution_id.as_deref()),
            )
            .collect();
        if let Some(own) = self.institution_id.as_deref() {
            candidates.insert(own);
        }
        Reach::Some(
            candidates
                .into_iter()
                .filter(|inst| self.institution_access(inst, links, programs).can_read())
                .map(str::to_string)
                .collect(),
        )
    }

    /// Programs and their pairings and agreements are managed by the platform admin and the
    /// program's own office.
    pub fn can_manage_program(&self, program_id: &str) -> bool {
        self.is_admin() || self.office_of(program_id)
    }

    /// Creating a pairing. A pairing widens reach (the office reaches both sides, the donor's
    /// staff the recipient's data), so nobody may use one to widen their own: the platform admin
    /// pairs any institutions; a program office pairs, in its own program only, institutions
    /// already in that program; a new institution enters a program through the platform admin.
    pub fn may_create_pairing(
        &self,
        new: PairingSides<'_>,
        links: &[PairingLink],
        programs: &[ProgramFacts],
    ) -> Result<(), Refusal> {
        if self.is_admin() {
            return Ok(());
        }
        if !self.office_of(new.program_id) {
            return Err(Refusal::Forbidden("error.forbidden"));
        }
        let known = |i: &str| in_program(new.program_id, i, links, programs);
        if known(new.donor_id) && known(new.recipient_id) {
            Ok(())
        } else {
            Err(NEW_INSTITUTION)
        }
    }

    /// Changing a pairing: the platform admin any; a program office one of its program's, when
    /// the pairing before and after the change both pass [`Principal::may_create_pairing`] and it
    /// stays in the same program.
    pub fn may_change_pairing(
        &self,
        before: PairingSides<'_>,
        after: PairingSides<'_>,
        links: &[PairingLink],
        programs: &[ProgramFacts],
    ) -> Result<(), Refusal> {
        if self.is_admin() {
            return Ok(());
        }
        self.may_create_pairing(before, links, programs)?;
        if before.program_id != after.program_id {
            return Err(Refusal::Forbidden("error.pairing_moves_program"));
        }
        self.may_create_pairing(after, links, programs)
    }

    /// Changing a program: the platform admin; its own office, as long as the office institution
    /// it names (which the office then reaches) is none or already in the program.
    pub fn may_change_program(
        &self,
        program_id: &str,
        office_institution_id: Option<&str>,
        links: &[PairingLink],
        programs: &[ProgramFacts],
    ) -> Result<(), Refusal> {
        if self.is_admin() {
            return Ok(());
        }
        if !self.office_of(program_id) {
            return Err(Refusal::Forbidden("error.forbidden"));
        }
        match office_institution_id {
            Some(i) if !in_program(program_id, i, links, programs) => Err(NEW_INSTITUTION),
            _ => Ok(()),
        }
    }

    /// Revealing a booking's patient name and phone number: only the host institution's
    /// coordinators, who call the patients when a session is cancelled (停诊), and only then.
    /// Not the program office, the donor side, experts or clinicians; not the platform admin
    /// either, who runs the platform, not the clinic (an admin who must call patients does it
    /// through a coordinator's account, which names the caller in the audit).
    pub fn may_reveal_booking_contact(
        &self,
        host_institution_id: &str,
        session_cancelled: bool,
    ) -> Result<(), Refusal> {
        if self.role != Role::Coordinator
            || self.institution_id.as_deref() != Some(host_institution_id)
        {
            return Err(Refusal::Forbidden("error.contact_host_coordinators_only"));
        }
        if !session_cancelled {
            return Err(Refusal::Conflict("error.contact_cancelled_sessions_only"));
        }
        Ok(())
    }

    /// Agreements are read by the program's managers and by the two paired institutions' staff.
    pub fn can_read_agreement(&self, link: &PairingLink) -> bool {
        self.can_manage_program(&link.program_id)
            || (self.role == Role::Coordinator
                && self
                    .institution_id
                    .as_deref()
                    .is_some_and(|i| i == link.donor_id || i == link.recipient_id))
    }

    /// Planning batches and dispatching experts: the program's managers, and the coordinator of
    /// the donor institution of the batch's pairing.
    pub fn can_dispatch(&self, program_id: &str, donor_id: Option<&str>) -> bool {
        self.can_manage_program(program_id)
            || (self.role == Role::Coordinator
                && donor_id.is_some()
                && self.institution_id.as_deref() == donor_id)
    }

    // ---- planning: needs, availability and planning rules (issue 19) ----

    /// Posting, changing or withdrawing a need of a program at a recipient institution: the
    /// platform admin, the program's office, and the coordinator of that institution when it is
    /// a recipient of one of the program's pairings.
    pub fn may_write_need(
        &self,
        program_id: &str,
        institution_id: &str,
        links: &[PairingLink],
    ) -> Result<(), Refusal> {
        let recipient_coordinator = self.role == Role::Coordinator
            && self.institution_id.as_deref() == Some(institution_id)
            && links
                .iter()
                .any(|l| l.program_id == program_id && l.recipient_id == institution_id);
        if self.can_manage_program(program_id) || recipient_coordinator {
            Ok(())
        } else {
            Err(FORBIDDEN)
        }
    }

    /// Reading a need: whoever may write it, the recipient institution's coordinator, and the
    /// donor side of the program's pairings (its coordinators and experts), who plan whom to
    /// send.
    pub fn may_read_need(
        &self,
        program_id: &str,
        institution_id: &str,
        links: &[PairingLink],
    ) -> Result<(), Refusal> {
        if self
            .may_write_need(program_id, institution_id, links)
            .is_ok()
        {
            return Ok(());
        }
        let mine = self.institution_id.as_deref();
        let own_recipient = self.role == Role::Coordinator && mine == Some(institution_id);
        let donor_side = matches!(self.role, Role::Coordinator | Role::Expert)
            && mine.is_some_and(|m| {
                links
                    .iter()
                    .any(|l| l.program_id == program_id && l.donor_id == m)
            });
        if own_recipient || donor_side {
            Ok(())
        } else {
            Err(FORBIDDEN)
        }
    }

    /// Posting or changing a donor expert's availability (`person_id` the expert, at
    /// `home_id`; `own_person` the registry person of the caller's account): the platform admin,
    /// the coordinator of the expert's institution, the expert themself, and the office of a
    /// program in which that institution is a donor.
    pub fn may_write_availability(
        &self,
        person_id: &str,
        home_id: &str,
        own_person: Option<&str>,
        links: &[PairingLink],
    ) -> Result<(), Refusal> {
        let allowed = match self.role {
            Role::PlatformAdmin => true,
            Role::Coordinator => self.institution_id.as_deref() == Some(home_id),
            Role::Expert => own_person == Some(person_id),
            Role::ProgramOffice => links.iter().any(|l| {
                self.program_id.as_deref() == Some(l.program_id.as_str()) && l.donor_id == home_id
            }),
            Role::Clinician => false,
        };
        if allowed { Ok(()) } else { Err(FORBIDDEN) }
    }

    /// Reading a donor expert's availability: whoever may write it.
    pub fn may_read_availability(
        &self,
        person_id: &str,
        home_id: &str,
        own_person: Option<&str>,
        links: &[PairingLink],
    ) -> Result<(), Refusal> {
        self.may_write_availability(person_id, home_id, own_person, links)
    }

    /// A program's planning rules (rest days, title rule, team rule, split needs): its managers.
    pub fn may_set_planning_rules(&self, program_id: &str) -> Result<(), Refusal> {
        if self.can_manage_program(program_id) {
            Ok(())
        } else {
            Err(FORBIDDEN)
        }
    }

    // ---- end of planning: needs, availability and planning rules ----

    /// Running an institution's clinics (sessions, bookings, check-in): whoever may change the
    /// institution's data, except experts and clinicians.
    pub fn can_run_clinics(&self, access: Access) -> bool {
        access.can_write() && !matches!(self.role, Role::Expert | Role::Clinician)
    }

    /// Runs an institution's clinics (publish, cancel, check in), given the caller's access to it.
    pub fn may_run_clinics(&self, access: Access) -> Result<(), Refusal> {
        if self.can_run_clinics(access) {
            Ok(())
        } else {
            Err(Refusal::Forbidden("error.forbidden"))
        }
    }

    /// A calendar feed of an expert's schedule: the expert only (`person_id` is the registry
    /// person of the caller's account), never someone else on their behalf — the feed's secret
    /// URL goes to whoever creates it.
    pub fn may_subscribe_schedule(
        &self,
        expert_id: &str,
        person_id: Option<&str>,
    ) -> Result<(), Refusal> {
        if person_id == Some(expert_id) {
            Ok(())
        } else {
            Err(Refusal::Forbidden("error.calendar_own_schedule_only"))
        }
    }

    /// Revoking a calendar feed: whoever created it, and the platform admin.
    pub fn may_revoke_calendar_feed(&self, owner_user_id: &str) -> Result<(), Refusal> {
        if self.user_id == owner_user_id || self.is_admin() {
            Ok(())
        } else {
            Err(FORBIDDEN)
        }
    }

    /// Creating an institution: the platform admin or a program office.
    /// The program whose figures the caller may see: any (or all) for the platform admin, their
    /// own for a program office (asking for another is refused); nobody else sees program
    /// figures.
    pub fn figures_program(&self, asked: Option<String>) -> Result<Option<String>, Refusal> {
        match self.role {
            Role::PlatformAdmin => Ok(asked),
            Role::ProgramOffice if asked.is_none() || asked == self.program_id => {
                Ok(self.program_id.clone())
            }
            _ => Err(Refusal::Forbidden("error.forbidden")),
        }
    }

    /// Which agreements a caller lists: all (platform admin; `asked` narrows to a program), its own
    /// program's (program office; asking for another is refused), its own institution's pairings'
    /// (coordinator, as `(None, Some(institution))`); experts and clinicians none.
    pub fn agreements_listed(
        &self,
        asked: Option<String>,
    ) -> Result<(Option<String>, Option<String>), Refusal> {
        match self.role {
            Role::PlatformAdmin => Ok((asked, None)),
            Role::ProgramOffice if asked.is_none() || asked == self.program_id => {
                Ok((self.program_id.clone(), None))
            }
            Role::Coordinator => Ok((asked, self.institution_id.clone())),
            _ => Err(Refusal::Forbidden("error.forbidden")),
        }
    }

    /// Keeps the region codes (GB/T 2260): the platform admin.
    pub fn may_keep_regions(&self) -> Result<(), Refusal> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Refusal::Forbidden("error.forbidden"))
        }
    }

    /// Adds institutions to the registry: the platform admin and program offices.
    pub fn may_create_institution(&self) -> Result<(), Refusal> {
        if self.can_create_institution() {
            Ok(())
        } else {
            Err(Refusal::Forbidden("error.forbidden"))
        }
    }

    /// Writes an institution's own record, given the caller's access to it.
    pub fn may_change_institution(&self, access: Access) -> Result<(), Refusal> {
        if access.can_write() {
            Ok(())
        } else {
            Err(Refusal::Forbidden("error.forbidden"))
        }
    }

    /// Keeps an institution's departments and staff: anyone with write access to it but experts
    /// and clinicians (who read their own institution's); with `None`, whether the role may at all.
    pub fn may_keep_staff(&self, access: Option<Access>) -> Result<(), Refusal> {
        let role_may = !matches!(self.role, Role::Expert | Role::Clinician);
        if role_may && access.is_none_or(Access::can_write) {
            Ok(())
        } else {
            Err(Refusal::Forbidden("error.forbidden"))
        }
    }

    pub fn can_create_institution(&self) -> bool {
        matches!(self.role, Role::PlatformAdmin | Role::ProgramOffice)
    }

    /// Reading a capacity building record (a placement, a technique, a mentorship…, C6–C9) or an
    /// institution's capacity summary: whoever reaches the local institution it belongs to.
    pub fn may_read_capacity(&self, access: Access) -> Result<(), Refusal> {
        if access.can_read() {
            Ok(())
        } else {
            Err(FORBIDDEN)
        }
    }

    /// Creating or changing a capacity building record, or adding to it (an apprentice, a
    /// technique's case or stage, an alliance's member): whoever may change the local
    /// institution's data (its coordinator, the donor side where the program grants write
    /// access, the program office, the platform admin); a program office only for a record under
    /// its own program or none.
    pub fn may_write_capacity(
        &self,
        access: Access,
        program_id: Option<&str>,
    ) -> Result<(), Refusal> {
        let own_program =
            program_id.is_none_or(|p| self.role != Role::ProgramOffice || self.office_of(p));
        if access.can_write() && own_program {
            Ok(())
        } else {
            Err(FORBIDDEN)
        }
    }

    /// A progress note on a mentorship: those who may change the mentorship, and the mentor
    /// (`person_id` is the registry person of the caller's account).
    pub fn may_note_mentorship(
        &self,
        access: Access,
        program_id: Option<&str>,
        mentor_id: &str,
        person_id: Option<&str>,
    ) -> Result<(), Refusal> {
        if person_id == Some(mentor_id) {
            return Ok(());
        }
        self.may_write_capacity(access, program_id)
    }

    /// Logging or changing an operation (手术): whoever may write the local institution's
    /// capacity records, and the dispatched expert for an operation of their own
    /// (`person_id` is the registry person of the caller's account) at an institution they
    /// were dispatched to (`dispatched_there`: they have an assignment there).
    pub fn may_log_operation(
        &self,
        access: Access,
        program_id: Option<&str>,
        expert_id: &str,
        person_id: Option<&str>,
        dispatched_there: bool,
    ) -> Result<(), Refusal> {
        if self.role == Role::Expert && person_id == Some(expert_id) && dispatched_there {
            return Ok(());
        }
        self.may_write_capacity(access, program_id)
    }

    /// A program's capacity settings (apprentices per mentor, term length): its managers.
    pub fn may_set_capacity_settings(&self, program_id: &str) -> Result<(), Refusal> {
        if self.can_manage_program(program_id) {
            Ok(())
        } else {
            Err(FORBIDDEN)
        }
    }

    // ---- planning: plans (issue 19) ----

    /// Running, editing and accepting a deployment plan: whoever may create a batch in the
    /// program ([`Principal::can_dispatch`] without a pairing: the platform admin and the
    /// program's office), since an accepted plan becomes a batch of the whole program.
    pub fn may_run_plans(&self, program_id: &str) -> Result<(), Refusal> {
        if self.can_dispatch(program_id, None) {
            Ok(())
        } else {
            Err(FORBIDDEN)
        }
    }

    /// Reading a program's plans: those who run them, and the coordinators of the program's
    /// parties (either side of one of its pairings, or its office institution).
    pub fn may_read_plans(
        &self,
        program_id: &str,
        links: &[PairingLink],
        programs: &[ProgramFacts],
    ) -> Result<(), Refusal> {
        if self.may_run_plans(program_id).is_ok() {
            return Ok(());
        }
        match (&self.role, self.institution_id.as_deref()) {
            (Role::Coordinator, Some(i)) if in_program(program_id, i, links, programs) => Ok(()),
            _ => Err(FORBIDDEN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn principal(role: Role, program: Option<&str>, institution: Option<&str>) -> Principal {
        Principal {
            user_id: "u".into(),
            username: "u".into(),
            role,
            program_id: program.map(str::to_string),
            institution_id: institution.map(str::to_string),
        }
    }

    fn link(program: &str, donor: &str, recipient: &str, access: DonorAccess) -> PairingLink {
        PairingLink {
            program_id: program.into(),
            donor_id: donor.into(),
            recipient_id: recipient.into(),
            donor_access: access,
            active: true,
        }
    }

    #[test]
    fn a_pairing_gives_the_donor_the_program_granted_access_but_not_the_reverse() {
        let links = [link("p", "donor", "recipient", DonorAccess::Read)];
        let donor = principal(Role::Coordinator, None, Some("donor"));
        let recipient = principal(Role::Coordinator, None, Some("recipient"));
        assert_eq!(
            donor.institution_access("recipient", &links, &[]),
            Access::Read
        );
        assert_eq!(
            recipient.institution_access("donor", &links, &[]),
            Access::None
        );
        assert_eq!(
            donor.institution_access("donor", &links, &[]),
            Access::Write
        );
        assert_eq!(
            donor.institution_access("elsewhere", &links, &[]),
            Access::None
        );
    }

    #[test]
    fn an_ended_pairing_gives_nothing() {
        let mut ended = link("p", "donor", "recipient", DonorAccess::Write);
        ended.active = false;
        let donor = principal(Role::Coordinator, None, Some("donor"));
        assert_eq!(
            donor.institution_access("recipient", &[ended], &[]),
            Access::None
        );
    }

    #[test]
    fn a_program_office_reaches_its_program_only() {
        let links = [
            link("p", "a", "b", DonorAccess::None),
            link("q", "c", "d", DonorAccess::Read),
        ];
        let programs = [ProgramFacts {
            program_id: "p".into(),
            office_institution_id: Some("office".into()),
        }];
        let office = principal(Role::ProgramOffice, Some("p"), None);
        let reach = office.reach(&links, &programs);
        assert!(reach.contains("a") && reach.contains("b") && reach.contains("office"));
        assert!(!reach.contains("c") && !reach.contains("d"));
        assert!(office.can_manage_program("p"));
        assert!(!office.can_manage_program("q"));
    }

    #[test]
    fn clinicians_and_experts_read_their_own_institution_only() {
        let links = [link("p", "a", "b", DonorAccess::Write)];
        for role in [Role::Clinician, Role::Expert] {
            let p = principal(role, None, Some("a"));
            assert_eq!(p.institution_access("a", &links, &[]), Access::Read);
            assert_eq!(p.institution_access("b", &links, &[]), Access::None);
            assert!(!p.can_manage_program("p"));
            assert!(!p.can_create_institution());
        }
    }

    fn sides<'a>(program: &'a str, donor: &'a str, recipient: &'a str) -> PairingSides<'a> {
        PairingSides {
            program_id: program,
            donor_id: donor,
            recipient_id: recipient,
        }
    }

    /// 豫哈: the office pairs 宁德 (in its program) with 福鼎 (not in it) to reach 福鼎's people.
    #[test]
    fn an_office_cannot_bring_a_new_institution_into_its_program() {
        let links = [link("p", "ningde", "zhengzhou", DonorAccess::Read)];
        let programs = [ProgramFacts {
            program_id: "p".into(),
            office_institution_id: Some("office".into()),
        }];
        let office = principal(Role::ProgramOffice, Some("p"), None);
        assert_eq!(
            office.may_create_pairing(sides("p", "ningde", "fuding"), &links, &programs),
            Err(NEW_INSTITUTION)
        );
        assert_eq!(
            office.may_create_pairing(sides("p", "ningde", "zhengzhou"), &links, &programs),
            Ok(())
        );
        assert_eq!(
            office.may_create_pairing(sides("p", "office", "ningde"), &links, &programs),
            Ok(()),
            "the office institution is in the program"
        );
        assert!(
            office
                .may_create_pairing(sides("q", "ningde", "zhengzhou"), &links, &programs)
                .is_err(),
            "another program"
        );
        let admin = principal(Role::PlatformAdmin, None, None);
        assert_eq!(
            admin.may_create_pairing(sides("p", "ningde", "fuding"), &links, &programs),
            Ok(())
        );
        let before = sides("p", "ningde", "zhengzhou");
        assert_eq!(
            office.may_change_pairing(before, sides("p", "ningde", "fuding"), &links, &programs),
            Err(NEW_INSTITUTION),
            "an update that swaps in an outside institution"
        );
        assert!(
            office
                .may_change_pairing(before, sides("q", "ningde", "zhengzhou"), &links, &programs)
                .is_err(),
            "an office does not move a pairing to another program"
        );
        assert_eq!(
            office.may_change_pairing(before, before, &links, &programs),
            Ok(())
        );
        assert_eq!(
            office.may_change_program("p", Some("fuding"), &links, &programs),
            Err(NEW_INSTITUTION),
            "naming an outside institution as the office's own"
        );
        assert_eq!(
            office.may_change_program("p", Some("office"), &links, &programs),
            Ok(())
        );
        for role in [Role::Coordinator, Role::Expert, Role::Clinician] {
            let p = principal(role, Some("p"), Some("ningde"));
            assert!(
                p.may_create_pairing(sides("p", "ningde", "zhengzhou"), &links, &programs)
                    .is_err()
            );
            assert!(
                p.may_change_pairing(before, before, &links, &programs)
                    .is_err()
            );
        }
    }

    #[test]
    fn only_the_hosts_coordinators_reveal_a_contact_and_only_for_a_cancelled_session() {
        let host = principal(Role::Coordinator, None, Some("host"));
        assert_eq!(host.may_reveal_booking_contact("host", true), Ok(()));
        assert!(matches!(
            host.may_reveal_booking_contact("host", false),
            Err(Refusal::Conflict(_))
        ));
        let others = [
            principal(Role::Coordinator, None, Some("donor")),
            principal(Role::ProgramOffice, Some("p"), Some("host")),
            principal(Role::PlatformAdmin, None, None),
            principal(Role::Expert, None, Some("host")),
            principal(Role::Clinician, None, Some("host")),
        ];
        for p in others {
            for cancelled in [true, false] {
                assert!(matches!(
                    p.may_reveal_booking_contact("host", cancelled),
                    Err(Refusal::Forbidden(_))
                ));
            }
        }
    }

    #[test]
    fn capacity_records_are_written_by_the_institution_s_side_and_an_office_under_its_program() {
        let links = [
            link("p", "donor", "recipient", DonorAccess::Write),
            link("p", "reader", "recipient", DonorAccess::Read),
        ];
        let programs = [ProgramFacts {
            program_id: "p".into(),
            office_institution_id: None,
        }];
        let at = |p: &Principal| p.institution_access("recipient", &links, &programs);
        let writers = [
            principal(Role::Coordinator, None, Some("recipient")),
            principal(Role::Coordinator, None, Some("donor")),
            principal(Role::ProgramOffice, Some("p"), None),
            principal(Role::PlatformAdmin, None, None),
        ];
        for p in &writers {
            assert_eq!(
                p.may_write_capacity(at(p), Some("p")),
                Ok(()),
                "{:?}",
                p.role
            );
            assert_eq!(p.may_write_capacity(at(p), None), Ok(()), "{:?}", p.role);
            assert_eq!(p.may_read_capacity(at(p)), Ok(()));
        }
        let office = &writers[2];
        assert_eq!(
            office.may_write_capacity(Access::Write, Some("q")),
            Err(FORBIDDEN),
            "an office writes under its own program only"
        );
        let readers = [
            principal(Role::Coordinator, None, Some("reader")),
            principal(Role::Expert, None, Some("recipient")),
            principal(Role::Clinician, None, Some("recipient")),
        ];
        for p in &readers {
            assert_eq!(p.may_read_capacity(at(p)), Ok(()));
            assert_eq!(p.may_write_capacity(at(p), Some("p")), Err(FORBIDDEN));
        }
        let outsider = principal(Role::Coordinator, None, Some("elsewhere"));
        assert_eq!(outsider.may_read_capacity(at(&outsider)), Err(FORBIDDEN));
        assert!(writers[3].may_set_capacity_settings("p").is_ok());
        assert!(office.may_set_capacity_settings("p").is_ok());
        assert!(office.may_set_capacity_settings("q").is_err());
        assert!(writers[0].may_set_capacity_settings("p").is_err());
    }

    #[test]
    fn plans_are_run_by_program_managers_and_read_by_its_parties_coordinators() {
        let links = vec![PairingLink {
            program_id: "p".into(),
            donor_id: "d".into(),
            recipient_id: "r".into(),
            donor_access: DonorAccess::Read,
            active: true,
        }];
        let programs = vec![ProgramFacts {
            program_id: "p".into(),
            office_institution_id: Some("o".into()),
        }];
        let admin = principal(Role::PlatformAdmin, None, None);
        let office = principal(Role::ProgramOffice, Some("p"), None);
        let donor = principal(Role::Coordinator, None, Some("d"));
        let recipient = principal(Role::Coordinator, None, Some("r"));
        let stranger = principal(Role::Coordinator, None, Some("u"));
        let expert = principal(Role::Expert, None, Some("d"));
        for who in [&admin, &office] {
            assert!(who.may_run_plans("p").is_ok());
            assert!(who.may_read_plans("p", &links, &programs).is_ok());
        }
        assert!(office.may_run_plans("q").is_err());
        for who in [&donor, &recipient] {
            assert!(who.may_run_plans("p").is_err());
            assert!(who.may_read_plans("p", &links, &programs).is_ok());
            assert!(who.may_read_plans("q", &links, &programs).is_err());
        }
        for who in [&stranger, &expert] {
            assert!(who.may_read_plans("p", &links, &programs).is_err());
        }
    }

    #[test]
    fn an_expert_logs_their_own_operations_and_nobody_else_s() {
        let expert = principal(Role::Expert, None, Some("donor"));
        assert_eq!(
            expert.may_log_operation(Access::None, Some("p"), "dr-shen", Some("dr-shen"), true),
            Ok(())
        );
        assert_eq!(
            expert.may_log_operation(Access::None, Some("p"), "dr-li", Some("dr-shen"), true),
            Err(FORBIDDEN)
        );
        assert_eq!(
            expert.may_log_operation(Access::Read, Some("p"), "dr-shen", Some("dr-shen"), false),
            Err(FORBIDDEN),
            "not where they were not dispatched"
        );
        let clinician = principal(Role::Clinician, None, Some("recipient"));
        assert_eq!(
            clinician.may_log_operation(Access::Read, None, "dr-c", Some("dr-c"), true),
            Err(FORBIDDEN)
        );
        let coordinator = principal(Role::Coordinator, None, Some("recipient"));
        assert_eq!(
            coordinator.may_log_operation(Access::Write, None, "dr-shen", None, false),
            Ok(())
        );
    }

    #[test]
    fn the_mentor_notes_a_mentorship_it_may_not_change() {
        let expert = principal(Role::Expert, None, Some("donor"));
        assert_eq!(
            expert.may_note_mentorship(Access::None, Some("p"), "dr-shen", Some("dr-shen")),
            Ok(())
        );
        assert_eq!(
            expert.may_note_mentorship(Access::None, Some("p"), "dr-shen", Some("dr-wang")),
            Err(FORBIDDEN)
        );
        assert_eq!(
            expert.may_note_mentorship(Access::Read, Some("p"), "dr-shen", None),
            Err(FORBIDDEN)
        );
        let coordinator = principal(Role::Coordinator, None, Some("recipient"));
        assert_eq!(
            coordinator.may_note_mentorship(Access::Write, None, "dr-shen", None),
            Ok(())
        );
    }

    fn arb_links() -> impl Strategy<Value = Vec<PairingLink>> {
        let inst = prop::sample::select(vec!["a", "b", "c", "d", "e"]);
        let access = prop::sample::select(DonorAccess::ALL.to_vec());
        prop::collection::vec(
            (
                prop::sample::select(vec!["p", "q"]),
                inst.clone(),
                inst,
                access,
                any::<bool>(),
            ),
            0..8,
        )
        .prop_map(|v| {
            v.into_iter()
                .map(|(p, d, r, a, active)| PairingLink {
                    program_id: p.into(),
                    donor_id: d.into(),
                    recipient_id: r.into(),
                    donor_access: a,
                    active,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn a_coordinator_reaches_only_its_own_institution_and_active_recipients(
            links in arb_links(),
            target in prop::sample::select(vec!["a", "b", "c", "d", "e", "z"]),
        ) {
            let me = principal(Role::Coordinator, None, Some("a"));
            let access = me.institution_access(target, &links, &[]);
            let linked = links.iter().any(|l| l.active && l.donor_id == "a" && l.recipient_id == target
                && l.donor_access != DonorAccess::None);
            prop_assert_eq!(access.can_read(), target == "a" || linked);
            prop_assert_eq!(me.reach(&links, &[]).contains(target), access.can_read());
        }

        /// Whatever an office creates or changes, its reach afterwards is its reach before:
        /// no pairing it may make widens what it sees.
        #[test]
        fn no_pairing_an_office_may_make_widens_its_reach(
            links in arb_links(),
            program in prop::sample::select(vec!["p", "q"]),
            donor in prop::sample::select(vec!["a", "b", "c", "d", "e", "f"]),
            recipient in prop::sample::select(vec!["a", "b", "c", "d", "e", "f"]),
            office_institution in prop::sample::select(vec![None, Some("a"), Some("f")]),
        ) {
            let office = principal(Role::ProgramOffice, Some("p"), None);
            let programs = [ProgramFacts {
                program_id: "p".into(),
                office_institution_id: office_institution.map(str::to_string),
            }];
            let new = sides(program, donor, recipient);
            if office.may_create_pairing(new, &links, &programs).is_ok() {
                let mut after = links.clone();
                after.push(link(program, donor, recipient, DonorAccess::Write));
                prop_assert_eq!(office.reach(&after, &programs), office.reach(&links, &programs));
            }
            if let Some(before) = links.first() {
                let was = sides(&before.program_id, &before.donor_id, &before.recipient_id);
                if office.may_change_pairing(was, new, &links, &programs).is_ok() {
                    let mut after = links.clone();
                    after[0] = link(program, donor, recipient, DonorAccess::Write);
                    let (old, now) = (office.reach(&links, &programs), office.reach(&after, &programs));
                    match (old, now) {
                        (Reach::Some(old), Reach::Some(now)) => prop_assert!(now.is_subset(&old)),
                        _ => prop_assert!(false, "an office never reaches all"),
                    }
                }
            }
        }

        /// Keeping staff needs write access to the institution and is never an expert's or a
        /// clinician's; a role refused outright is refused for every institution.
        #[test]
        fn keeping_staff_needs_write_access_and_a_staff_role(
            links in arb_links(),
            role in prop::sample::select(Role::ALL.to_vec()),
            own in prop::sample::select(vec![None, Some("a"), Some("b")]),
            program in prop::sample::select(vec![None, Some("p"), Some("q")]),
            target in prop::sample::select(vec!["a", "b", "c", "d", "e"]),
        ) {
            let who = principal(role, program, own);
            let access = who.institution_access(target, &links, &[]);
            let allowed = who.may_keep_staff(Some(access)).is_ok();
            prop_assert!(!allowed || access.can_write());
            prop_assert!(!allowed || !matches!(role, Role::Expert | Role::Clinician));
            prop_assert!(!allowed || who.may_keep_staff(None).is_ok());
            prop_assert_eq!(who.may_change_institution(access).is_ok(), access.can_write());
        }

        /// An office lists only its own program's agreements, whatever it asks for; a
        /// coordinator only its own institution's; experts and clinicians none.
        #[test]
        fn agreements_are_listed_within_the_callers_scope(
            role in prop::sample::select(Role::ALL.to_vec()),
            own in prop::sample::select(vec![None, Some("a")]),
            program in prop::sample::select(vec![None, Some("p")]),
            asked in prop::sample::select(vec![None, Some("p"), Some("q")]),
        ) {
            let who = principal(role, program, own);
            match (role, who.agreements_listed(asked.map(str::to_string))) {
                (Role::ProgramOffice, Ok((listed, None))) => {
                    prop_assert_eq!(listed.as_deref(), program);
                }
                (Role::ProgramOffice, Err(_)) => prop_assert!(asked.is_some() && asked != program),
                (Role::Coordinator, Ok((_, institution))) => {
                    prop_assert_eq!(institution.as_deref(), own);
                }
                (Role::Expert | Role::Clinician, listed) => prop_assert!(listed.is_err()),
                (Role::PlatformAdmin, listed) => prop_assert!(listed.is_ok()),
                (_, other) => prop_assert!(false, "unexpected {:?}", other),
            }
        }

        /// Whoever may write a capacity record may read it; nobody writes a record of an
        /// institution it may not change; experts and clinicians write none, and a note is a
        /// write unless the caller is the mentor.
        #[test]
        fn capacity_writes_need_write_access_and_imply_reads(
            links in arb_links(),
            role in prop::sample::select(Role::ALL.to_vec()),
            own in prop::sample::select(vec![None, Some("a"), Some("b")]),
            target in prop::sample::select(vec!["a", "b", "c", "d", "e"]),
            program in prop::sample::select(vec![None, Some("p"), Some("q")]),
            person in prop::sample::select(vec![None, Some("m"), Some("n")]),
        ) {
            let me = principal(role, Some("p"), own);
            let programs = [ProgramFacts { program_id: "p".into(), office_institution_id: None }];
            let access = me.institution_access(target, &links, &programs);
            let write = me.may_write_capacity(access, program);
            if write.is_ok() {
                prop_assert!(me.may_read_capacity(access).is_ok());
                prop_assert!(access.can_write());
                prop_assert!(!matches!(role, Role::Expert | Role::Clinician));
            }
            if role == Role::ProgramOffice && program == Some("q") {
                prop_assert!(write.is_err());
            }
            prop_assert_eq!(me.may_read_capacity(access).is_ok(), me.reach(&links, &programs).contains(target));
            let note = me.may_note_mentorship(access, program, "m", person);
            prop_assert_eq!(note.is_ok(), person == Some("m") || write.is_ok());
        }

        #[test]
        fn reach_agrees_with_institution_access_for_every_role(
            links in arb_links(),
            role in prop::sample::select(Role::ALL.to_vec()),
            target in prop::sample::select(vec!["a", "b", "c", "d", "e"]),
        ) {
            let me = principal(role, Some("p"), Some("b"));
            let programs = [ProgramFacts { program_id: "p".into(), office_institution_id: None }];
            prop_assert_eq!(
                me.reach(&links, &programs).contains(target),
                me.institution_access(target, &links, &programs).can_read()
            );
        }
    }
}
