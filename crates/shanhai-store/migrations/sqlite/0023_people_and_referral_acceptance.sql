-- People, not logins: each step of a timeline keeps the id of the account that took it, so
-- pages show that account's person (name, title, institution) rather than its login. Steps
-- recorded before this are matched by login.
ALTER TABLE consultation_events ADD COLUMN actor_id TEXT;
ALTER TABLE referral_events ADD COLUMN actor_id TEXT;
ALTER TABLE kpi_report_events ADD COLUMN actor_id TEXT;
ALTER TABLE technique_events ADD COLUMN actor_id TEXT;
UPDATE consultation_events SET actor_id = (SELECT u.id FROM users u WHERE u.username = consultation_events.actor_name);
UPDATE referral_events SET actor_id = (SELECT u.id FROM users u WHERE u.username = referral_events.actor_name);
UPDATE kpi_report_events SET actor_id = (SELECT u.id FROM users u WHERE u.username = kpi_report_events.actor_name);
UPDATE technique_events SET actor_id = (SELECT u.id FROM users u WHERE u.username = technique_events.actor_name);

-- A referral's acceptance tells the sender when and where the patient is expected and whom to
-- call: the appointment, the ward or bed, and a named contact with a phone number.
ALTER TABLE referrals ADD COLUMN appointment_at TEXT;
ALTER TABLE referrals ADD COLUMN ward TEXT;
ALTER TABLE referrals ADD COLUMN contact_name TEXT;
ALTER TABLE referrals ADD COLUMN contact_phone TEXT;
