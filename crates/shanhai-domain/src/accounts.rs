//! User accounts: usernames, passwords and the scope a role needs.

use crate::codes::Role;
use crate::validate::{code, optional_reference, text};
use crate::{Invalid, Problems};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 200;

pub fn username(value: &str) -> Result<String, Invalid> {
    let v = value.trim().to_ascii_lowercase();
    let ok_chars = v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if v.len() < 3 || v.len() > 32 || !ok_chars {
        return Err(Invalid::new("username", "error.username_format"));
    }
    Ok(v)
}

pub fn password(value: &str) -> Result<String, Invalid> {
    let n = value.chars().count();
    if n < PASSWORD_MIN {
        return Err(Invalid::new("password", "error.password_short"));
    }
    if n > PASSWORD_MAX {
        return Err(Invalid::new("password", "error.text_at_most").with(&[PASSWORD_MAX as i64]));
    }
    Ok(value.to_string())
}

/// The scope an account is limited to; which parts are required depends on the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub role: Role,
    pub program_id: Option<String>,
    pub institution_id: Option<String>,
}

impl Scope {
    pub fn parse(
        role: &str,
        program_id: Option<&str>,
        institution_id: Option<&str>,
    ) -> Result<Scope, Invalid> {
        let role = code("role", role, Role::parse)?;
        let program_id = optional_reference("program_id", program_id)?;
        let institution_id = optional_reference("institution_id", institution_id)?;
        match role {
            Role::ProgramOffice if program_id.is_none() => {
                return Err(Invalid::new("program_id", "error.scope_program_required"));
            }
            Role::Coordinator | Role::Expert | Role::Clinician if institution_id.is_none() => {
                return Err(Invalid::new(
                    "institution_id",
                    "error.scope_institution_required",
                ));
            }
            _ => {}
        }
        Ok(Scope {
            role,
            program_id,
            institution_id,
        })
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UserInput {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub password: String,
    #[schema(value_type = Role)]
    pub role: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub institution_id: Option<String>,
    /// The registry person this account belongs to (experts, clinicians).
    #[serde(default)]
    #[schema(format = Uuid)]
    pub person_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub scope: Scope,
    pub person_id: Option<String>,
}

impl UserInput {
    /// The account described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewUser, Problems> {
        crate::every! {
            username = username(&self.username),
            display_name = match self.display_name.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(d) => text("display_name", d, 50).map(Some),
            },
            password = password(&self.password),
            scope = Scope::parse(
                &self.role,
                self.program_id.as_deref(),
                self.institution_id.as_deref(),
            ),
            person_id =
                crate::validate::optional_reference("person_id", self.person_id.as_deref()),
        }
        Ok(NewUser {
            display_name: display_name.unwrap_or_else(|| username.clone()),
            password,
            scope,
            person_id,
            username,
        })
    }
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UserUpdate {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub institution_id: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    #[schema(format = Uuid)]
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: Option<String>,
    #[schema(format = Uuid)]
    pub person_id: Option<String>,
    pub active: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Who acted, as the pages show them — name, professional title and institution, never the
/// login. The store resolves it from the account's linked person (`shanhai_store::actors`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActorLabel {
    pub name: String,
    pub title: Option<crate::codes::Title>,
    pub institution: Option<String>,
}

impl ActorLabel {
    /// Title and institution, as far as they are known ("主任医师 · 河南省人民医院").
    pub fn detail(&self, lang: impl std::borrow::Borrow<crate::Lang>) -> String {
        let lang = *lang.borrow();
        self.title
            .map(|t| t.label(lang).to_string())
            .into_iter()
            .chain(self.institution.clone())
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// "王建国 · 主任医师 · 河南省人民医院".
    pub fn line(&self, lang: impl std::borrow::Borrow<crate::Lang>) -> String {
        let detail = self.detail(lang);
        if detail.is_empty() {
            self.name.clone()
        } else {
            format!("{} · {detail}", self.name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercase_ascii() {
        assert_eq!(username(" Admin.Li "), Ok("admin.li".into()));
        assert!(username("ab").is_err());
        assert!(username("王医生").is_err());
        assert!(username("a b c").is_err());
    }

    #[test]
    fn roles_need_their_scope() {
        let id = crate::ids::new_id();
        assert!(Scope::parse("platform-admin", None, None).is_ok());
        assert_eq!(
            Scope::parse("program-office", None, None).map_err(|e| e.key),
            Err("error.scope_program_required")
        );
        assert_eq!(
            Scope::parse("coordinator", Some(&id), None).map_err(|e| e.key),
            Err("error.scope_institution_required")
        );
        assert!(Scope::parse("clinician", None, Some(&id)).is_ok());
        assert_eq!(
            Scope::parse("root", None, None).map_err(|e| e.key),
            Err("error.unknown_code")
        );
    }

    #[test]
    fn passwords_have_a_minimum_length() {
        assert!(password("short").is_err());
        assert!(password("long-enough-1").is_ok());
    }

    #[test]
    fn an_actor_reads_as_name_title_and_institution() {
        let expert = ActorLabel {
            name: "王建国".into(),
            title: Some(crate::codes::Title::ChiefPhysician),
            institution: Some("河南省人民医院".into()),
        };
        assert_eq!(
            expert.line(crate::Lang::Zh),
            "王建国 · 主任医师 · 河南省人民医院"
        );
        assert_eq!(
            expert.line(crate::Lang::En),
            "王建国 · Chief physician · 河南省人民医院"
        );
        let admin = ActorLabel {
            name: "平台管理员".into(),
            ..Default::default()
        };
        assert_eq!(admin.line(crate::Lang::Zh), "平台管理员");
    }
}
