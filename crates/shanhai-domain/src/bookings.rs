//! Public booking (C3): who the patient is (name, mobile number, resident ID number — checked,
//! then only ever shown masked), and the rule that a session is never overbooked: a booking is
//! confirmed only while confirmed bookings are fewer than the capacity; otherwise it waits, and
//! waiting bookings are promoted in order when a confirmed one is cancelled.

use crate::Invalid;
use crate::validate::text;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An 18-character resident identity number (GB 11643) with a valid birth date and check digit.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// The check character for the first 17 digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(char::from(CHECK[(sum % 11) as usize]))
}

impl IdNumber {
    pub fn parse(field: &str, s: &str) -> Result<IdNumber, Invalid> {
        let s = s.trim().to_ascii_uppercase();
        if s.len() != 18 || !s.is_char_boundary(17) {
            return Err(Invalid::new(field, "error.id_number_format"));
        }
        let (body, check) = s.split_at(17);
        let expected =
            check_char(body).ok_or_else(|| Invalid::new(field, "error.id_number_format"))?;
        let birth = NaiveDate::parse_from_str(&body[6..14], "%Y%m%d").ok();
        if birth.is_none_or(|b| b.format("%Y").to_string().as_str() < "1900") {
            return Err(Invalid::new(field, "error.id_number_birth"));
        }
        if !check.starts_with(expected) {
            return Err(Invalid::new(field, "error.id_number_checksum"));
        }
        Ok(IdNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `1502**********1234`
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

/// Keeps the first 4 and last 4 characters of an ID number.
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// A mainland mobile number: 11 digits starting 13–19.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl Phone {
    pub fn parse(field: &str, s: &str) -> Result<Phone, Invalid> {
        let digits: String = s
            .trim()
            .trim_start_matches("+86")
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let ok = digits.len() == 11
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits.starts_with('1')
            && (b'3'..=b'9').contains(&digits.as_bytes()[1]);
        if ok {
            Ok(Phone(digits))
        } else {
            Err(Invalid::new(field, "error.phone_format"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

pub fn mask_phone(s: &str) -> String {
    if s.len() != 11 || !s.is_ascii() {
        return "*".repeat(s.chars().count());
    }
    format!("{}****{}", &s[..3], &s[7..])
}

/// A name as shown to staff: family name kept, the rest masked (张*, 欧阳**).
pub fn mask_name(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        n => format!("{}{}", chars[0], "*".repeat(n - 1)),
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BookingRequest {
    pub name: String,
    /// Mainland mobile number.
    pub phone: String,
    /// 18-character resident ID number.
    pub id_number: String,
    /// Join the waitlist when the session is full (answers 202 with the position).
    #[serde(default)]
    pub waitlist: bool,
}

/// A patient's booking request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBooking {
    pub name: String,
    pub phone: Phone,
    pub id_number: IdNumber,
    pub waitlist: bool,
}

impl BookingRequest {
    /// The request checked: every problem at once, each at its field.
    pub fn parse(&self) -> Result<NewBooking, crate::Problems> {
        crate::every! {
            name = text("name", &self.name, 30),
            phone = Phone::parse("phone", &self.phone),
            id_number = IdNumber::parse("id_number", &self.id_number),
        }
        Ok(NewBooking {
            name,
            phone,
            id_number,
            waitlist: self.waitlist,
        })
    }
}

code_enum! {
    BookingStatus {
        Confirmed => "confirmed", "已预约", "Confirmed";
        Waitlisted => "waitlisted", "候补中", "Waitlisted";
        Cancelled => "cancelled", "已取消", "Cancelled";
        CheckedIn => "checked-in", "已签到", "Checked in";
        NoShow => "no-show", "爽约", "No-show";
    }
}

impl BookingStatus {
    /// Whether the booking holds (or waits for) a place: one such booking per person per session.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            BookingStatus::Confirmed | BookingStatus::Waitlisted | BookingStatus::CheckedIn
        )
    }

    /// Whether a coordinator may move a booking from this status to `to`: check in or mark a
    /// no-show from confirmed; undo either (back to confirmed). The message key says why not.
    pub fn may_mark(self, to: BookingStatus) -> Result<(), &'static str> {
        use BookingStatus::*;
        match (self, to) {
            (Confirmed, CheckedIn | NoShow) => Ok(()),
            (CheckedIn | NoShow, Confirmed) => Ok(()),
            (_, Confirmed) => Err("error.booking_not_marked"),
            _ => Err("error.booking_not_confirmed"),
        }
    }

    /// Whether the booking counts against the session's capacity.
    pub fn holds_slot(self) -> bool {
        matches!(
            self,
            BookingStatus::Confirmed | BookingStatus::CheckedIn | BookingStatus::NoShow
        )
    }
}

/// What happens to a request, given the session's state: the capacity rule in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Confirm,
    Waitlist,
    Full,
    AlreadyBooked,
    Closed,
}

pub fn decide(
    capacity: i64,
    booked: i64,
    open: bool,
    already: bool,
    wants_waitlist: bool,
) -> Decision {
    if !open {
        Decision::Closed
    } else if already {
        Decision::AlreadyBooked
    } else if booked < capacity {
        Decision::Confirm
    } else if wants_waitlist {
        Decision::Waitlist
    } else {
        Decision::Full
    }
}

/// How many bookings one phone number and one network address may make, so that one client
/// cannot take a famous expert's places with made-up names and ID numbers (号贩子).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingLimits {
    /// Active bookings (confirmed, waitlisted, checked in) per phone number in one session.
    pub phone_per_session: i64,
    /// Bookings made per phone number in any 24 hours, cancelled ones included.
    pub phone_per_day: i64,
    /// Active bookings per network address in one session; 0: no limit.
    pub address_per_session: i64,
    /// Bookings made per network address in any 24 hours; 0: no limit.
    pub address_per_day: i64,
}

impl BookingLimits {
    pub const DEFAULT: BookingLimits = BookingLimits {
        phone_per_session: 2,
        phone_per_day: 5,
        address_per_session: 10,
        address_per_day: 30,
    };

    /// The per-address limits off (a load test from one address), the per-phone ones kept.
    pub fn without_address_limits(self) -> BookingLimits {
        BookingLimits {
            address_per_session: 0,
            address_per_day: 0,
            ..self
        }
    }

    /// The message key of the first limit the counts have reached, if any.
    pub fn reached(&self, counts: &BookingCounts) -> Option<&'static str> {
        let at = |limit: i64, n: i64| limit > 0 && n >= limit;
        if at(self.phone_per_session, counts.phone_in_session)
            || at(self.phone_per_day, counts.phone_today)
        {
            Some("error.booking_limit_phone")
        } else if at(self.address_per_session, counts.address_in_session)
            || at(self.address_per_day, counts.address_today)
        {
            Some("error.booking_limit_address")
        } else {
            None
        }
    }
}

/// What a phone number and an address already hold, as [`BookingLimits`] counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BookingCounts {
    pub phone_in_session: i64,
    pub phone_today: i64,
    pub address_in_session: i64,
    pub address_today: i64,
}

/// A patient's view of their booking (no identifiers beyond the masked ones).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicBooking {
    pub booking_code: String,
    pub status: BookingStatus,
    /// Place in the waitlist, for waitlisted bookings.
    pub waitlist_position: Option<i64>,
    #[schema(format = Uuid)]
    pub session_id: String,
    pub name_masked: String,
    pub phone_masked: String,
    pub id_number_masked: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A booking as coordinators see it: identifiers masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Booking {
    #[schema(format = Uuid)]
    pub id: String,
    pub booking_code: String,
    #[schema(format = Uuid)]
    pub session_id: String,
    pub status: BookingStatus,
    pub waitlist_position: Option<i64>,
    pub name_masked: String,
    pub phone_masked: String,
    pub id_number_masked: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BookingLookup {
    pub booking_code: String,
    pub phone: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A valid ID number for a birth date and sequence.
    fn make_id(area: &str, birth: &str, seq: &str) -> String {
        let body = format!("{area}{birth}{seq}");
        format!("{body}{}", check_char(&body).unwrap_or('0'))
    }

    #[test]
    fn id_numbers_are_checked_and_masked() {
        let id = make_id("150203", "19800101", "123");
        let parsed = IdNumber::parse("id_number", &id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.masked(), format!("1502**********{}", &id[14..]));
        assert!(!format!("{parsed:?}").contains(&id[6..14]));
        let mut wrong = id.clone();
        let last = if wrong.ends_with('1') { '2' } else { '1' };
        wrong.replace_range(17.., &last.to_string());
        assert_eq!(
            IdNumber::parse("id_number", &wrong).map_err(|e| e.key),
            Err("error.id_number_checksum")
        );
        assert_eq!(
            IdNumber::parse("id_number", "15020319801301123X").map_err(|e| e.key),
            Err("error.id_number_birth")
        );
        assert_eq!(
            IdNumber::parse("id_number", "1502031980").map_err(|e| e.key),
            Err("error.id_number_format")
        );
        assert_eq!(
            IdNumber::parse("id_number", "一二三四五六七八九十一二三四五六").map_err(|e| e.key),
            Err("error.id_number_format")
        );
    }

    #[test]
    fn phones_are_checked_and_masked() {
        assert_eq!(
            Phone::parse("phone", "+86 138-0013-8000").map(|p| p.masked()),
            Ok("138****8000".into())
        );
        assert!(Phone::parse("phone", "12800138000").is_err());
        assert!(Phone::parse("phone", "1380013800").is_err());
        assert_eq!(mask_name("欧阳明"), "欧**");
    }

    #[test]
    fn check_in_and_no_show_come_from_confirmed_and_undo_goes_back() {
        use BookingStatus::*;
        assert_eq!(Confirmed.may_mark(CheckedIn), Ok(()));
        assert_eq!(Confirmed.may_mark(NoShow), Ok(()));
        assert_eq!(CheckedIn.may_mark(Confirmed), Ok(()));
        assert_eq!(NoShow.may_mark(Confirmed), Ok(()));
        assert_eq!(
            CheckedIn.may_mark(NoShow),
            Err("error.booking_not_confirmed")
        );
        assert_eq!(
            Waitlisted.may_mark(CheckedIn),
            Err("error.booking_not_confirmed")
        );
        assert_eq!(
            Cancelled.may_mark(Confirmed),
            Err("error.booking_not_marked")
        );
        assert_eq!(
            Confirmed.may_mark(Confirmed),
            Err("error.booking_not_marked")
        );
        // Undoing keeps the place: all three hold one.
        assert!(CheckedIn.holds_slot() && NoShow.holds_slot() && Confirmed.holds_slot());
    }

    #[test]
    fn the_capacity_rule() {
        assert_eq!(decide(2, 1, true, false, false), Decision::Confirm);
        assert_eq!(decide(2, 2, true, false, false), Decision::Full);
        assert_eq!(decide(2, 2, true, false, true), Decision::Waitlist);
        assert_eq!(decide(2, 0, true, true, false), Decision::AlreadyBooked);
        assert_eq!(decide(2, 0, false, false, false), Decision::Closed);
    }

    #[test]
    fn limits_stop_one_phone_and_one_address_and_the_address_limits_can_be_switched_off() {
        let limits = BookingLimits::DEFAULT;
        let none = BookingCounts::default();
        assert_eq!(limits.reached(&none), None);
        let phone = BookingCounts {
            phone_in_session: limits.phone_per_session,
            ..none
        };
        assert_eq!(limits.reached(&phone), Some("error.booking_limit_phone"));
        let busy_day = BookingCounts {
            phone_today: limits.phone_per_day,
            ..none
        };
        assert_eq!(limits.reached(&busy_day), Some("error.booking_limit_phone"));
        let address = BookingCounts {
            address_in_session: limits.address_per_session,
            address_today: limits.address_per_day,
            ..none
        };
        assert_eq!(
            limits.reached(&address),
            Some("error.booking_limit_address")
        );
        let off = limits.without_address_limits();
        assert_eq!(off.reached(&address), None);
        assert_eq!(off.reached(&phone), Some("error.booking_limit_phone"));
    }

    proptest! {
        #[test]
        fn every_generated_id_number_parses_and_one_changed_digit_does_not(
            area in "[1-6][0-9]{5}", y in 1930u32..2020, m in 1u32..13, day in 1u32..29, seq in "[0-9]{3}", pos in 0usize..17,
        ) {
            let id = make_id(&area, &format!("{y}{m:02}{day:02}"), &seq);
            prop_assert!(IdNumber::parse("id", &id).is_ok());
            let mut bytes = id.clone().into_bytes();
            bytes[pos] = if bytes[pos] == b'9' { b'0' } else { bytes[pos] + 1 };
            let changed = String::from_utf8(bytes).unwrap_or_default();
            prop_assert!(IdNumber::parse("id", &changed).is_err());
        }

        /// Simulates any sequence of requests and cancellations: confirmed never exceeds capacity,
        /// and a cancelled place always goes to the first in the waitlist.
        #[test]
        fn never_overbooked_and_waitlist_in_order(
            capacity in 1i64..6,
            ops in prop::collection::vec((any::<bool>(), 0usize..12, any::<bool>()), 1..80),
        ) {
            let mut confirmed: Vec<usize> = Vec::new();
            let mut waiting: Vec<usize> = Vec::new();
            for (book, who, wants_waitlist) in ops {
                let already = confirmed.contains(&who) || waiting.contains(&who);
                if book {
                    match decide(capacity, confirmed.len() as i64, true, already, wants_waitlist) {
                        Decision::Confirm => confirmed.push(who),
                        Decision::Waitlist => waiting.push(who),
                        _ => {}
                    }
                } else if let Some(i) = confirmed.iter().position(|p| *p == who) {
                    confirmed.remove(i);
                    if !waiting.is_empty() {
                        confirmed.push(waiting.remove(0));
                    }
                } else if let Some(i) = waiting.iter().position(|p| *p == who) {
                    waiting.remove(i);
                }
                prop_assert!(confirmed.len() as i64 <= capacity);
                prop_assert!(waiting.is_empty() || confirmed.len() as i64 == capacity);
            }
        }
    }
}
