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

    /// Running an institution's clinics (sessions, bookings, check-in): whoever may change the
    /// institution's data, except experts and clinicians.
    pub fn can_run_clinics(&self, access: Access) -> bool {
        access.can_write() && !matches!(self.role, Role::Expert | Role::Clinician)
    }

    /// Creating an institution: the platform admin or a program office.
    pub fn can_create_institution(&self) -> bool {
        matches!(self.role, Role::PlatformAdmin | Role::ProgramOffice)
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
